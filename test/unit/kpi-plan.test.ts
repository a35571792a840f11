import { assemble, type Fetched, type MeasureRows } from '../../src/modules/kpi/kpi.assemble';
import { ComparisonMode, KpiDimension, KpiHealth, TargetStatus } from '../../src/modules/kpi/kpi.enums';
import { parsePeriod } from '../../src/shared/period';
import { CURRENT, groupSuffix, plan, PREVIOUS } from '../../src/modules/kpi/kpi.plan';

/** The engine's pure halves, with plain values: plan() decides what to fetch, assemble() turns fetched values into rows. */

const d = (s: string) => new Date(`${s}T00:00:00Z`);
// Q1 2026 (90 days), looked at on 15 February: 45 days elapsed, half the period.
const q1 = parsePeriod({ from: '2026-01-01', to: '2026-04-01', asOf: d('2026-02-15') });
const q1Closed = parsePeriod({ from: '2026-01-01', to: '2026-04-01', asOf: d('2026-05-01') });

/** Measures by ref, each a list of [window + bucket key, group values, value], stored by bucket then group suffix. */
const measures = (byRef: Record<string, Array<[string, Array<string | null>, number | null]>>): Map<string, MeasureRows> =>
  new Map(
    Object.entries(byRef).map(([ref, rows]) => {
      const byBucket: MeasureRows = new Map();
      for (const [bucket, groups, v] of rows) {
        if (!byBucket.has(bucket)) byBucket.set(bucket, new Map());
        byBucket.get(bucket)!.set(groupSuffix(groups), v);
      }
      return [ref, byBucket];
    }),
  );

const fetched = (m: Fetched['measures'], extra: Partial<Fetched> = {}): Fetched => ({ measures: m, targets: new Map(), labels: new Map(), ...extra });

describe('KPI plan', () => {
  it('validates the request with the field to fix', () => {
    expect(() => plan({ keys: ['winRate', 'nope'], period: q1 })).toThrow(expect.objectContaining({ message: 'Unknown KPI "nope" (see kpiDefinitions)', extensions: expect.objectContaining({ field: 'key' }) }));
    expect(() => plan({ keys: ['winRate'], period: q1, groupBy: [KpiDimension.REP, KpiDimension.REP] })).toThrow('groupBy lists a dimension twice');
    expect(() => plan({ keys: ['winRate'], period: q1, groupBy: [KpiDimension.MONTH, KpiDimension.WEEK] })).toThrow(/at most one time grain/);
    expect(() => plan({ keys: ['callsMade'], period: q1, groupBy: [KpiDimension.STAGE] })).toThrow('KPI callsMade cannot be grouped by STAGE');
  });

  it('buckets the period, snapshots each bucket at min(end, asOf) and narrows the filter to the scope', () => {
    const p = plan(
      { keys: ['winRate'], period: q1, groupBy: [KpiDimension.TEAM, KpiDimension.MONTH], filter: { [KpiDimension.REP]: [2, 3] } },
      { repIds: [1, 2] },
    );
    expect(p.grain).toBe(KpiDimension.MONTH);
    expect(p.dims).toEqual([KpiDimension.TEAM]);
    expect(p.requested).toEqual({ REP: [2, 3] });
    expect(p.filter).toEqual({ REP: [2] }); // rep 3 is outside the caller's scope
    expect(p.kb.map((b) => [b.key, b.asOfEnd.toISOString().slice(0, 10), b.live])).toEqual([
      ['c:2026-01', '2026-02-01', false], // over before asOf: snapshot at its end
      ['c:2026-02', '2026-02-15', true],
      ['c:2026-03', '2026-03-01', true], // not started: snapshot at its start
    ]);
    expect(p.kpis.map((k) => [k.def.key, k.refs.map((r) => r.ref), k.unsupported])).toEqual([['winRate', ['closed.won', 'closed.closed'], null]]);
    // Two reps in the filter: no single rep or team target can apply.
    expect([p.targetsApply, p.targetKeys]).toEqual([false, []]);
  });

  it('adds the comparison window and the targets the KPIs read', () => {
    const p = plan({ keys: ['winRate', 'pipelineCoverage'], period: q1, filter: { [KpiDimension.TEAM]: [3] }, compareTo: ComparisonMode.PREVIOUS_PERIOD });
    expect(p.kb.map((b) => [b.key, b.start.toISOString().slice(0, 10), b.end.toISOString().slice(0, 10)])).toEqual([
      ['c:period', '2026-01-01', '2026-04-01'],
      ['p:period', '2025-10-01', '2025-11-15'], // the previous quarter, cut "to date" three months before asOf
    ]);
    expect(p.targetKeys.sort()).toEqual(['pipelineCoverage', 'revenue', 'winRate']);
    // A caller that does not read targets still needs the revenue quota behind pipeline coverage.
    expect(plan({ keys: ['winRate', 'pipelineCoverage'], period: q1, filter: { [KpiDimension.TEAM]: [3] }, withTargets: false }).targetKeys).toEqual(['revenue']);
  });

  it('marks KPIs a lenient request cannot slice instead of failing', () => {
    const p = plan({ keys: ['callsMade', 'winRate'], period: q1, groupBy: [KpiDimension.STAGE], lenient: true });
    expect(p.kpis.map((k) => k.unsupported)).toEqual(['Calls made cannot be split by STAGE', null]);
  });
});

describe('KPI assemble', () => {
  it('computes each group row, orders ids numerically, labels them and compares with the previous window', () => {
    const p = plan({ keys: ['winRate'], period: q1Closed, groupBy: [KpiDimension.REP], compareTo: ComparisonMode.PREVIOUS_PERIOD });
    const m = measures({
      'closed.won': [[`${CURRENT}period`, ['12'], 3], [`${CURRENT}period`, ['7'], 1], [`${PREVIOUS}period`, ['12'], 2]],
      'closed.closed': [[`${CURRENT}period`, ['12'], 10], [`${CURRENT}period`, ['7'], 4], [`${PREVIOUS}period`, ['12'], 4]],
    });
    const [result] = assemble(p, fetched([m], { labels: new Map([['REP:12', 'Alex']]) }));
    expect(result.rows.map((r) => [r.groups[0].key, r.groups[0].label, r.value, r.numerator, r.denominator, r.health])).toEqual([
      ['7', '7', 0.25, 1, 4, KpiHealth.HEALTHY], // 1 won of 4 closed; no name known: the id
      ['12', 'Alex', 0.3, 3, 10, KpiHealth.HEALTHY],
    ]);
    // Rep 12: 2 of 4 before, 0.3 now: -0.2, i.e. -40 %. Rep 7 closed nothing before: no comparison value.
    expect(result.rows[1].comparison).toEqual({ value: 0.5, delta: expect.closeTo(-0.2, 12), pctChange: expect.closeTo(-0.4, 12) });
    expect(result.rows[0].comparison).toEqual({ value: null, delta: null, pctChange: null });
  });

  it('applies the revenue quota of the row scope: attainment, pace and the quota-based KPIs', () => {
    const p = plan({ keys: ['revenue', 'quotaAttainment'], period: q1, filter: { [KpiDimension.TEAM]: [3] } });
    const won = measures({ 'closed.wonAmount': [[`${CURRENT}period`, [], 4_500_000]] }); // 45,000.00 in cents
    const quota = new Map([['TEAM:3', [{ start: d('2026-01-01'), end: d('2026-04-01'), value: 90_000 }]]]);
    const [revenue, attainment] = assemble(p, fetched([won, won], { targets: new Map([['revenue', quota]]) }));
    expect(revenue.rows[0].value).toBe(45_000);
    // Half the quota at half the period: on a linear path, and paced to reach it.
    expect(revenue.rows[0].target).toEqual({ value: 90_000, attainment: 0.5, pace: 90_000, expectedToDate: 45_000, status: TargetStatus.ON_TRACK });
    expect(attainment.rows[0]).toMatchObject({ value: 0.5, numerator: 45_000, denominator: 90_000, target: null });
  });

  it('gives a restricted caller no company target, and an unsupported KPI one row with the reason', () => {
    const p = plan({ keys: ['revenue', 'callsMade'], period: q1, groupBy: [KpiDimension.STAGE], lenient: true }, { repIds: [12] });
    expect(p.targetsApply).toBe(false); // grouped by STAGE: no target scope
    const scoped = plan({ keys: ['revenue'], period: q1 }, { repIds: [12] });
    const company = new Map([['COMPANY', [{ start: d('2026-01-01'), end: d('2026-04-01'), value: 1_000_000 }]]]);
    const won = measures({ 'closed.wonAmount': [[`${CURRENT}period`, [], 100_000]] });
    expect(assemble(scoped, fetched([won], { targets: new Map([['revenue', company]]) }))[0].rows[0]).toMatchObject({ value: 1000, target: null });
    const unscoped = plan({ keys: ['revenue'], period: q1 });
    expect(assemble(unscoped, fetched([won], { targets: new Map([['revenue', company]]) }))[0].rows[0].target).toMatchObject({ value: 1_000_000, attainment: 0.001 });

    const [, calls] = assemble(p, fetched([measures({ 'closed.wonAmount': [] }), null]));
    expect(calls.rows).toEqual([
      { kpiKey: 'callsMade', groups: [], bucket: null, value: null, numerator: null, denominator: null, unit: 'COUNT', reason: 'Calls made cannot be split by STAGE', comparison: null, target: null, health: null },
    ]);
  });
});
