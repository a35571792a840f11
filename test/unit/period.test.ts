import { ComparisonMode, KpiDimension } from '../../src/modules/kpi/kpi.enums';
import { buckets, comparisonBuckets, parsePeriod, PeriodError, periodsBetween, seasonKey, shiftPeriod } from '../../src/shared/period';

const iso = (d: Date) => d.toISOString();

describe('periods as spans in a time zone (the KPI spelling)', () => {
  it('reads dates as local midnight in the time zone and checks the input', () => {
    const p = parsePeriod({ from: '2026-07-01', to: '2026-10-01', timeZone: 'Europe/Paris' });
    expect(iso(p.from)).toBe('2026-06-30T22:00:00.000Z'); // CEST = UTC+2
    expect(iso(p.to)).toBe('2026-09-30T22:00:00.000Z');
    expect(iso(parsePeriod({ from: '2026-01-01T09:30:00+01:00', to: '2026-02-01' }).from)).toBe('2026-01-01T08:30:00.000Z');
    expect(() => parsePeriod({ from: '2026-02-30', to: '2026-03-01' })).toThrow(PeriodError);
    expect(() => parsePeriod({ from: '2026-01-01T10:00:00', to: '2026-03-01' })).toThrow(/offset/);
    expect(() => parsePeriod({ from: '2026-01-01', to: '2026-01-01' })).toThrow(/after/);
    expect(() => parsePeriod({ from: '2026-01-01', to: '2026-02-01', timeZone: 'Europe/Atlantis' })).toThrow(/time zone/);
  });

  it('cuts calendar buckets in the time zone across DST, clipped to the period', () => {
    const p = parsePeriod({ from: '2026-03-15', to: '2026-05-10', timeZone: 'Europe/Paris' });
    const months = buckets(p, KpiDimension.MONTH);
    expect(months.map((b) => [b.key, iso(b.start), iso(b.end)])).toEqual([
      ['2026-03', '2026-03-14T23:00:00.000Z', '2026-03-31T22:00:00.000Z'], // clipped start; DST starts 03-29
      ['2026-04', '2026-03-31T22:00:00.000Z', '2026-04-30T22:00:00.000Z'],
      ['2026-05', '2026-04-30T22:00:00.000Z', '2026-05-09T22:00:00.000Z'], // clipped end
    ]);
    // The DST week is 167 hours long.
    const weeks = buckets(parsePeriod({ from: '2026-03-23', to: '2026-04-06', timeZone: 'Europe/Paris' }), KpiDimension.WEEK);
    expect(weeks.map((b) => [b.key, (b.end.getTime() - b.start.getTime()) / 3_600_000])).toEqual([['2026-03-23', 167], ['2026-03-30', 168]]);
    const quarters = buckets(parsePeriod({ from: '2025-11-01', to: '2026-04-01' }), KpiDimension.QUARTER);
    expect(quarters.map((b) => b.key)).toEqual(['2025-Q4', '2026-Q1']);
    expect(buckets(p, null)).toEqual([{ key: 'period', start: p.from, end: p.to }]);
  });

  it('shifts whole months, whole days or durations for the previous period, and one year for last year', () => {
    const q3 = parsePeriod({ from: '2026-07-01', to: '2026-10-01', timeZone: 'UTC', asOf: new Date('2027-01-01T00:00:00Z') });
    const prev = comparisonBuckets(q3, buckets(q3, null), ComparisonMode.PREVIOUS_PERIOD).period;
    expect([iso(prev.from), iso(prev.to)]).toEqual(['2026-04-01T00:00:00.000Z', '2026-07-01T00:00:00.000Z']);
    const week = parsePeriod({ from: '2026-03-30', to: '2026-04-06', timeZone: 'Europe/Paris', asOf: new Date('2027-01-01T00:00:00Z') });
    const prevWeek = comparisonBuckets(week, buckets(week, null), ComparisonMode.PREVIOUS_PERIOD).period;
    expect([iso(prevWeek.from), iso(prevWeek.to)]).toEqual(['2026-03-22T23:00:00.000Z', '2026-03-29T22:00:00.000Z']); // local midnights
    const ly = comparisonBuckets(q3, buckets(q3, KpiDimension.MONTH), ComparisonMode.SAME_PERIOD_LAST_YEAR);
    expect(ly.buckets.map((b) => [b.key, iso(b.start)])).toEqual([
      ['2026-07', '2025-07-01T00:00:00.000Z'],
      ['2026-08', '2025-08-01T00:00:00.000Z'],
      ['2026-09', '2025-09-01T00:00:00.000Z'],
    ]);
  });

  it('compares a running period "to date"', () => {
    const q = parsePeriod({ from: '2026-10-01', to: '2027-01-01', timeZone: 'UTC', asOf: new Date('2026-11-15T00:00:00Z') });
    const cmp = comparisonBuckets(q, buckets(q, KpiDimension.MONTH), ComparisonMode.PREVIOUS_PERIOD);
    expect([iso(cmp.period.from), iso(cmp.period.to)]).toEqual(['2026-07-01T00:00:00.000Z', '2026-08-15T00:00:00.000Z']);
    // October -> all of July; November -> August 1-15; December -> nothing yet.
    expect(cmp.buckets.map((b) => [iso(b.start), iso(b.end)])).toEqual([
      ['2026-07-01T00:00:00.000Z', '2026-08-01T00:00:00.000Z'],
      ['2026-08-01T00:00:00.000Z', '2026-08-15T00:00:00.000Z'],
      ['2026-09-01T00:00:00.000Z', '2026-09-01T00:00:00.000Z'],
    ]);
  });
});

describe('periods as calendar units in UTC (the forecast spelling)', () => {
  const NOW = new Date('2026-12-01T09:00:00Z');

  it('parses months, quarters and years into the same Period as a span', () => {
    const q4 = parsePeriod('2026-Q4', NOW);
    expect(q4).toEqual({
      from: new Date('2026-10-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z'), timeZone: 'UTC', asOf: NOW,
      label: '2026-Q4', kind: 'QUARTER', start: Date.UTC(2026, 9, 1), end: Date.UTC(2027, 0, 1),
    });
    // the span spelling of the same quarter covers the same instants; it is no calendar unit, so it is labelled by its dates
    const span = parsePeriod({ from: '2026-10-01', to: '2027-01-01' }, NOW);
    expect([span.from, span.to, span.start, span.end, span.timeZone, span.asOf]).toEqual([q4.from, q4.to, q4.start, q4.end, 'UTC', NOW]);
    expect([span.label, span.kind]).toEqual(['2026-10-01..2027-01-01', 'CUSTOM']);
    expect(parsePeriod(' 2026q1 ', NOW)).toMatchObject({ label: '2026-Q1', start: Date.UTC(2026, 0, 1), end: Date.UTC(2026, 3, 1) });
    expect(parsePeriod('2026-02', NOW)).toMatchObject({ kind: 'MONTH', label: '2026-02', start: Date.UTC(2026, 1, 1), end: Date.UTC(2026, 2, 1) });
    expect(parsePeriod('2026', NOW)).toMatchObject({ kind: 'YEAR', label: '2026', start: Date.UTC(2026, 0, 1), end: Date.UTC(2027, 0, 1) });
  });

  it('refuses anything else with the field it came from', () => {
    for (const text of ['2026-13', '2026-Q5', 'Q4 2026', '']) expect(() => parsePeriod(text, NOW, 'input.period')).toThrow(PeriodError);
    try {
      parsePeriod('2026-13', NOW, 'input.period');
    } catch (error) {
      expect(error).toMatchObject({ field: 'input.period', message: 'input.period must be a month ("2026-11"), a quarter ("2026-Q4") or a year ("2026"); got "2026-13"' });
    }
  });

  it('steps back through periods of the same kind, lists them and knows their season', () => {
    expect(shiftPeriod(parsePeriod('2026-Q1', NOW), 1).label).toBe('2025-Q4');
    expect(shiftPeriod(parsePeriod('2026-01', NOW), 13).label).toBe('2024-12');
    expect(shiftPeriod(parsePeriod('2026', NOW), -1)).toMatchObject({ label: '2027', start: Date.UTC(2027, 0, 1) });
    expect(periodsBetween(Date.UTC(2025, 10, 15), Date.UTC(2026, 1, 1), 'MONTH').map((p) => p.label)).toEqual(['2025-11', '2025-12', '2026-01']);
    expect(periodsBetween(Date.UTC(2025, 10, 15), Date.UTC(2026, 3, 1), 'QUARTER').map((p) => p.label)).toEqual(['2025-Q4', '2026-Q1']);
    expect(['2026-01', '2026-02', '2026-03', '2026-04'].map((m) => seasonKey(parsePeriod(m, NOW)))).toEqual([0, 1, 2, 0]);
    expect(seasonKey(parsePeriod('2026-Q3', NOW))).toBe(2);
  });
});
