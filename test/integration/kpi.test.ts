import { DATABASES, type TestApp } from '../helpers/databases';
import { dataOf, useWorld } from '../helpers/fixtures';
import { createKpiWorld, type KpiWorld } from '../helpers/kpi-fixture';

/** Every expected number below is computed by hand from test/helpers/kpi-fixture.ts (arithmetic in comments). */

const Q1 = { from: '2026-01-01', to: '2026-04-01', timeZone: 'UTC', asOf: '2026-06-01T00:00:00Z' };
const ROW = `groups { dimension key label } bucket { key start end } value numerator denominator unit reason health
  comparison { value delta pctChange } target { value attainment pace expectedToDate status }`;
const KPI = `query($key: String!, $period: KpiPeriodInput!, $filter: KpiFilterInput, $groupBy: [KpiDimension!], $compareTo: ComparisonMode) {
  kpi(key: $key, period: $period, filter: $filter, groupBy: $groupBy, compareTo: $compareTo) { key comparisonPeriod { from to } rows { ${ROW} } } }`;

interface Row {
  groups: Array<{ dimension: string; key: string | null; label: string | null }>;
  bucket: { key: string; start: string; end: string } | null;
  value: number | null;
  numerator: number | null;
  denominator: number | null;
  reason: string | null;
  health: string | null;
  unit: string;
  comparison: { value: number | null; delta: number | null; pctChange: number | null } | null;
  target: { value: number; attainment: number | null; pace: number | null; status: string | null } | null;
}

describe.each(DATABASES)('KPI engine on %s', (kind) => {
  let app: TestApp;
  let world: KpiWorld;

  useWorld(kind, createKpiWorld, (a, w) => ((app = a), (world = w)));

  async function kpi(key: string, vars: Record<string, unknown> = {}): Promise<Row[]> {
    return (await dataOf<{ kpi: { rows: Row[] } }>(app, KPI, { key, period: Q1, ...vars })).kpi.rows;
  }
  async function value(key: string, vars: Record<string, unknown> = {}): Promise<number | null> {
    const rows = await kpi(key, vars);
    expect(rows).toHaveLength(1);
    return rows[0].value;
  }
  const byLabel = (rows: Row[]) => Object.fromEntries(rows.map((r) => [r.groups.map((g) => g.label).join(' / '), r.value]));

  it('counts activity KPIs for Q1', async () => {
    // Calls A1 A3 A4 (Sam) + A9 (Nina); emails A2 A5; one meeting A6, one demo A7; A4 booked a meeting.
    expect(await value('callsMade')).toBe(4);
    expect(await value('emailsSent')).toBe(2);
    expect(await value('meetingsHeld')).toBe(1);
    expect(await value('demosHeld')).toBe(1);
    expect(await value('meetingsBooked')).toBe(1);
    // Distinct leads touched by outbound activities: L1, L2, L3, L4.
    expect(await value('leadsContacted')).toBe(4);
    expect(await value('opportunitiesCreated')).toBe(6); // D1..D6
    expect(await value('newLeads')).toBe(5); // L1..L5
    expect(await value('qualifiedLeads')).toBe(2); // L1, L2
    // Speed to lead: (24 + 24 + 36 + 24) h / 4 leads first contacted in Q1 = 27 h -> over the 24 h target.
    const speed = (await kpi('speedToLead'))[0];
    expect(speed).toMatchObject({ value: 27, numerator: 108, denominator: 4, unit: 'HOURS', health: 'WARNING' });
    // Rep load: 2 SQLs / 1 owner / (90 days / 7) = 0.15556 per week.
    expect(await value('repLoad')).toBeCloseTo(2 / (90 / 7), 6);
    // Every rep with an activity in the period gets a row (Alex only had a meeting, a demo and a note).
    expect(byLabel(await kpi('callsMade', { groupBy: ['REP'] }))).toEqual({ 'Alex Closer': 0, 'Sam Caller': 3, 'Nina Seller': 1 });
  });

  it('computes conversion KPIs with their numerators and health', async () => {
    expect((await kpi('responseRate'))[0]).toMatchObject({ value: 0.5, numerator: 2, denominator: 4 }); // L1, L2 of L1..L4
    const booking = (await kpi('meetingBookingRate'))[0]; // 1 booked / (4 calls + 2 emails)
    expect(booking.value).toBeCloseTo(1 / 6, 10);
    expect(booking.health).toBe('HEALTHY');
    expect((await kpi('qualificationRate'))[0]).toMatchObject({ value: 0.4, health: 'HEALTHY' }); // 2 / 5
    expect(await value('leadToOpportunity')).toBe(0.4); // 2 / 5
    expect(await value('mqlToSql')).toBeCloseTo(2 / 3, 10); // MQL in Q1: L1, L2, L4; SQL: L1, L2
    expect(await value('leadToSql')).toBe(0.5); // contacted L1..L4, qualified L1, L2
    expect(await value('leadActivationRate')).toBe(0.5); // L1 and L2 responded at/after first contact
    expect((await kpi('winRate'))[0]).toMatchObject({ value: 0.5, numerator: 2, denominator: 4, health: 'HEALTHY' });
    expect((await kpi('lossRate'))[0]).toMatchObject({ value: 0.5, health: 'WARNING' }); // 40–70 %
    expect(byLabel(await kpi('winRate', { groupBy: ['REP'] }))).toEqual({ 'Alex Closer': 2 / 3, 'Nina Seller': 0 });
    expect(byLabel(await kpi('lossReasonShare', { groupBy: ['LOSS_REASON'] }))).toEqual({ price: 0.5, timing: 0.5 });
    // Lead -> customer by source: Referral L1 won (1/1), Paid Ads L2 won of L2, L3 (1/2), Webinar none of L4, L5.
    expect(byLabel(await kpi('conversionBySource', { groupBy: ['SOURCE'] }))).toEqual({ 'Paid Ads': 0.5, Referral: 1, Webinar: 0 });
  });

  it('computes stage-to-stage conversion from the stage history', async () => {
    // Furthest open stage reached by D1..D6: 6(Won) 6 2 3 4 1 -> reached P 6, Q 5, D 4, Pr 3, N 2; advanced 5, 4, 3, 2, 2.
    const rows = await kpi('stageConversion', { groupBy: ['STAGE'] });
    expect(rows.map((r) => [r.groups[0].label, r.numerator, r.denominator])).toEqual([
      ['Prospecting', 5, 6],
      ['Qualification', 4, 5],
      ['Discovery/Demo', 3, 4],
      ['Proposal', 2, 3],
      ['Negotiation', 2, 2],
    ]);
    // Time in stage over Q1 exits: Qualification 10, 12, 20, 10, 3 -> mean 11.
    const time = byLabel(await kpi('timeInStage', { groupBy: ['STAGE'] }));
    expect(time).toEqual({ Prospecting: 8, Qualification: 11, 'Discovery/Demo': 7.75, Proposal: 9.5, Negotiation: 7.5 });
  });

  it('computes value KPIs', async () => {
    expect((await kpi('revenue'))[0]).toMatchObject({ value: 30_000, unit: 'MONEY' }); // D1 + D2
    expect(await value('revenuePerRep')).toBe(15_000); // 30,000 / 2 closers (Alex, Nina)
    expect(await value('averageDealSize')).toBe(15_000);
    expect(await value('grossMargin')).toBeCloseTo(23_500 / 32_000, 10); // orders 10,000 + 2,000 + 20,000; costs 8,500
    expect(await value('repurchaseRate')).toBe(0.5); // Acme has 4 orders to date, Globex 1
    // Active at start (order in 2025): Acme, Initech, Umbrella; still active at end (order since 2025-04-01): Acme, Umbrella.
    expect(await value('retentionRate')).toBeCloseTo(2 / 3, 10);
    expect(await value('churnRate')).toBeCloseTo(1 / 3, 10);
    // LTV: 32,000 / 2 buyers / (90 / 365) years = 64,888.89 a year, x 1 / churn (3 years) = 194,666.67.
    expect(await value('ltv')).toBeCloseTo((16_000 * 365) / 90 * 3, 4);
  });

  it('computes efficiency KPIs', async () => {
    expect(await value('salesCycleMean')).toBe(45); // (30 + 60) / 2
    expect(await value('salesCycleMedian')).toBe(45);
    // CAC: (9,000 sales + 3 x 1,000 marketing) / 1 new customer (Globex; Acme first won in 2025) = 12,000.
    expect(await value('cac')).toBe(12_000);
    const ltvCac = (await kpi('ltvCac'))[0];
    expect(ltvCac.value).toBeCloseTo(194_666.6667 / 12_000, 4);
    expect(ltvCac.health).toBe('HEALTHY');
    // Open at 2026-04-01: D5 (Proposal, 4,000) and D6 (Prospecting, 6,000).
    expect(await value('pipelineValue')).toBe(10_000);
    expect(byLabel(await kpi('pipelineValue', { groupBy: ['STAGE'] }))).toEqual({ Prospecting: 6_000, Proposal: 4_000 });
    // Coverage: 10,000 / (60,000 quota - 30,000 won) = 0.333.
    expect((await kpi('pipelineCoverage'))[0]).toMatchObject({ value: 1 / 3, health: 'WARNING' });
    expect(await value('quotaAttainment')).toBe(0.5); // 30,000 / 60,000
    // The quota is read even when the query does not select `target`.
    const bare = await app.execute<{ kpi: { rows: Array<{ value: number }> } }>(
      `query($period: KpiPeriodInput!) { kpi(key: "quotaAttainment", period: $period) { rows { value } } }`,
      { period: Q1 },
    );
    expect(bare.data!.kpi.rows[0].value).toBe(0.5);
    // Velocity: 2 open x 15,000 average x 0.5 win rate / 45 days = 333.33 a day.
    expect(await value('salesVelocity')).toBeCloseTo(333.3333, 3);
  });

  it('groups by team x month, and fills empty months', async () => {
    // Revenue reads won deals only: NA (Nina lost D4) has no revenue row; EMEA gets every month.
    const rows = await kpi('revenue', { groupBy: ['TEAM', 'MONTH'] });
    expect(rows.map((r) => [r.bucket!.key, r.groups[0].label, r.value])).toEqual([
      ['2026-01', 'EMEA Mid-Market', 0],
      ['2026-02', 'EMEA Mid-Market', 10_000],
      ['2026-03', 'EMEA Mid-Market', 20_000],
    ]);
    const winRate = await kpi('winRate', { groupBy: ['TEAM', 'MONTH'] });
    expect(winRate.filter((r) => r.groups[0].label === 'NA Enterprise').map((r) => [r.bucket!.key, r.value, r.reason])).toEqual([
      ['2026-01', null, 'no deal was closed in the period'],
      ['2026-02', null, 'no deal was closed in the period'],
      ['2026-03', 0, null], // D4 lost 03-03
    ]);
    const byMonth = await kpi('opportunitiesCreated', { groupBy: ['MONTH'] });
    expect(byMonth.map((r) => [r.bucket!.key, r.value])).toEqual([['2026-01', 3], ['2026-02', 2], ['2026-03', 1]]);
  });

  it('buckets in the period time zone', async () => {
    // Email A5 at 2026-02-01T00:00Z is still January 31 in New York.
    const utc = await kpi('emailsSent', { groupBy: ['MONTH'] });
    expect(utc.map((r) => r.value)).toEqual([1, 1, 0]);
    const ny = await kpi('emailsSent', { groupBy: ['MONTH'], period: { ...Q1, timeZone: 'America/New_York' } });
    expect(ny.map((r) => [r.bucket!.key, r.value])).toEqual([['2026-01', 2], ['2026-02', 0], ['2026-03', 0]]);
    expect(ny[0].bucket!.start).toBe('2026-01-01T05:00:00.000Z');
  });

  it('filters and compares with the previous period and last year', async () => {
    const [emea] = await kpi('revenue', { filter: { teamIds: [String(world.team.id)] }, compareTo: 'PREVIOUS_PERIOD' });
    // Q4 2025: D7 12,000 -> delta 18,000, +150 %.
    expect(emea.comparison).toEqual({ value: 12_000, delta: 18_000, pctChange: 1.5 });
    expect(await value('revenue', { filter: { sources: ['Paid Ads'] } })).toBe(20_000);
    expect(await value('revenue', { filter: { segments: ['A'] } })).toBe(20_000); // Globex
    expect(await value('revenue', { filter: { regions: ['NA'] } })).toBe(0);
    const [lastYear] = await kpi('revenue', { compareTo: 'SAME_PERIOD_LAST_YEAR' });
    expect(lastYear.comparison).toEqual({ value: 0, delta: 30_000, pctChange: null });
  });

  it('returns null with a reason for an empty denominator', async () => {
    const [row] = await kpi('winRate', { period: { from: '2027-01-01', to: '2027-04-01', timeZone: 'UTC' } });
    expect(row).toMatchObject({ value: null, reason: 'no deal was closed in the period', denominator: 0 });
  });

  it('reports attainment, pace and status against targets at every scope', async () => {
    const [company] = await kpi('revenue');
    expect(company.target).toMatchObject({ value: 60_000, attainment: 0.5, pace: 30_000, status: 'OFF_TRACK' });
    const reps = await kpi('revenue', { groupBy: ['REP'] });
    const alex = reps.find((r) => r.groups[0].label === 'Alex Closer')!;
    expect(alex.target).toMatchObject({ value: 40_000, attainment: 0.75, status: 'OFF_TRACK' });
    expect(reps.map((r) => r.groups[0].label)).toEqual(['Alex Closer']); // Nina won nothing: no revenue row
    const nina = await kpi('winRate', { groupBy: ['REP'] });
    expect(nina.find((r) => r.groups[0].label === 'Nina Seller')!.target).toBeNull(); // no target for Nina
    const [win] = await kpi('winRate');
    expect(win.target).toMatchObject({ value: 0.3, status: 'ON_TRACK' });
    expect(win.target!.attainment).toBeCloseTo(0.5 / 0.3, 10);
    // Mid-quarter (asOf 2026-02-15 = 45 of 90 days): EMEA revenue so far 10,000 (D1) -> pace 20,000 vs 40,000.
    const [mid] = await kpi('revenue', { period: { ...Q1, asOf: '2026-02-15T00:00:00Z', to: '2026-02-15' }, filter: { teamIds: [String(world.team.id)] } });
    expect(mid.target).toMatchObject({ value: 40_000 * (45 / 90), attainment: 0.5, pace: 10_000, status: 'OFF_TRACK' });
  });

  it('rejects unknown keys, bad periods and unsupported slices with the field at fault', async () => {
    const unknown = await app.execute(KPI, { key: 'nope', period: Q1 });
    expect(unknown.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'key' });
    const tz = await app.execute(KPI, { key: 'revenue', period: { ...Q1, timeZone: 'Mars/Olympus' } });
    expect(tz.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'period.timeZone' });
    const reversed = await app.execute(KPI, { key: 'revenue', period: { ...Q1, from: '2026-04-01', to: '2026-01-01' } });
    expect(reversed.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'period.to' });
    const cacByRep = await app.execute(KPI, { key: 'cac', period: Q1, groupBy: ['REP'] });
    expect(cacByRep.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'groupBy' });
    const twoGrains = await app.execute(KPI, { key: 'revenue', period: Q1, groupBy: ['MONTH', 'WEEK'] });
    expect(twoGrains.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'groupBy' });
  });
});
