import { DATABASES } from '../helpers/databases';
import { createAccessWorld, createSecurityTestApp, type AccessWorld, type SecurityTestApp } from '../helpers/security';
import type { Em } from '../../src/db/orm';
import type { Identity } from '../../src/modules/auth/identity';
import { ForecastGroupBy, ForecastSnapshot } from '../../src/modules/forecast/forecast.entity';

type Role = 'SDR' | 'AE' | 'MANAGER' | 'EXEC' | 'ADMIN';
const ROLES: Role[] = ['SDR', 'AE', 'MANAGER', 'EXEC', 'ADMIN'];
const PERIOD = { from: '2026-01-01', to: '2026-04-01', timeZone: 'UTC' };

/**
 * One rule for every aggregate (src/modules/auth/aggregate.policy.ts), per role, on the world of
 * test/helpers/security.ts: team A = MA, a1, a2, s1; team B = MB, b1, s2; open deals d1 (a1), d2 (a2), d3 (b1).
 */
describe.each(DATABASES)('one access rule for every aggregate on %s', (kind) => {
  let app: SecurityTestApp;
  let w: AccessWorld;
  const run = (query: string, variables: Record<string, unknown>, role: Role) => app.execute(query, variables, w.identities[role] as Identity);
  const codeOf = (res: { errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> }) => String(res.errors?.[0]?.extensions?.code ?? 'OK');
  const id = (row: { id: number }) => String(row.id);

  beforeAll(async () => {
    app = await createSecurityTestApp(kind);
    w = await createAccessWorld(app.orm.em as Em);
    const em = app.orm.em.fork() as Em;
    const snapshot = (groupBy: ForecastGroupBy, groupKey: number | null) =>
      em.create(ForecastSnapshot, {
        periodLabel: '2026-Q1', periodStart: new Date('2026-01-01T00:00:00Z'), periodEnd: new Date('2026-04-01T00:00:00Z'), asOf: new Date('2026-02-01T00:00:00Z'),
        groupBy, groupKey, expectedCents: 100, p10Cents: 50, p50Cents: 100, p90Cents: 150, pipelineCents: 100, newBusinessCents: 0, closedWonCents: 0, openDeals: 1, simulations: 200,
      });
    snapshot(ForecastGroupBy.COMPANY, null);
    snapshot(ForecastGroupBy.TEAM, w.teams.teamA.id);
    snapshot(ForecastGroupBy.TEAM, w.teams.teamB.id);
    snapshot(ForecastGroupBy.REP, w.reps.a1.id);
    snapshot(ForecastGroupBy.REP, w.reps.a2.id);
    snapshot(ForecastGroupBy.REP, w.reps.b1.id);
    await em.flush();
  });
  afterAll(async () => app?.close());

  it('counts only the caller’s slice without a segment: company for EXEC/ADMIN, the team for a MANAGER, itself for an AE; SDRs get no deal statistics', async () => {
    const q = `{ cycleDurations { deals } stageWeights { stages { reached } } }`;
    const got: Record<string, unknown> = {};
    for (const role of ROLES) {
      const res = await run(q, {}, role);
      got[role] = res.errors ? codeOf(res) : (res.data as { cycleDurations: Array<{ deals: number }> }).cycleDurations[0].deals;
    }
    expect(got).toEqual({ SDR: 'FORBIDDEN', AE: 1, MANAGER: 2, EXEC: 3, ADMIN: 3 });
  });

  it('answers a named team as a read of it would (NOT_FOUND), then FORBIDDEN when readable but not the caller’s', async () => {
    const segment = `query($t: ID) { cycleDurations(segment: { teamId: $t }) { deals } }`;
    const forecast = `query($t: ID) { forecast(period: "2026-Q1", simulations: 100, teamId: $t) { total { openDeals } } }`;
    const kpi = `query($p: KpiPeriodInput!, $t: [ID!]) { kpi(key: "opportunitiesCreated", period: $p, filter: { teamIds: $t }) { rows { value } } }`;
    const funnel = `query($p: KpiPeriodInput!, $t: [ID!]) { funnel(cohort: DEALS, period: $p, filter: { teamIds: $t }) { steps { count } } }`;
    const leaderboard = `query($p: KpiPeriodInput!, $t: ID) { leaderboard(kpi: "revenue", period: $p, teamId: $t) { entries { rank } } }`;
    const dashboard = `query($p: KpiPeriodInput!, $t: ID) { dashboard(role: MANAGER, period: $p, scope: { teamId: $t }) { kpis { key } } }`;
    const signals = `query($p: KpiPeriodInput!, $t: ID) { signals(period: $p, scope: { teamId: $t }) { kind } }`;
    const movement = `query($t: ID) { pipelineMovement(from: "2026-01-01T00:00:00Z", to: "2026-03-01T00:00:00Z", period: "2026-Q1", teamId: $t) { __typename } }`;
    const call = `query($t: ID) { forecastCall(period: "2026-Q1", teamId: $t) { period } }`;
    const accuracy = `query($t: ID) { forecastAccuracy(periods: ["2025-Q4"], week: 1, teamId: $t) { week } }`;
    const table: Record<string, Record<string, string>> = {};
    for (const [name, query] of Object.entries({ segment, forecast, kpi, funnel, leaderboard, dashboard, signals, movement, call, accuracy })) {
      const asked = async (role: Role, team: { id: number }) => codeOf(await run(query, { p: PERIOD, t: name === 'kpi' || name === 'funnel' ? [id(team)] : id(team) }, role));
      table[name] = {
        managerOther: await asked('MANAGER', w.teams.teamB),
        managerOwn: await asked('MANAGER', w.teams.teamA),
        aeOwnTeam: await asked('AE', w.teams.teamA),
        execOther: await asked('EXEC', w.teams.teamB),
      };
    }
    const rule = { managerOther: 'NOT_FOUND', managerOwn: 'OK', aeOwnTeam: 'FORBIDDEN', execOther: 'OK' };
    expect(table).toEqual({ segment: rule, forecast: rule, kpi: rule, funnel: rule, leaderboard: rule, dashboard: rule, signals: rule, movement: rule, call: rule, accuracy: rule });
    // A named rep: a colleague is readable (the team directory) but not the AE's to aggregate.
    const rep = `query($p: KpiPeriodInput!, $r: [ID!]) { kpi(key: "opportunitiesCreated", period: $p, filter: { repIds: $r }) { rows { value } } }`;
    expect(codeOf(await run(rep, { p: PERIOD, r: [id(w.reps.a2)] }, 'AE'))).toBe('FORBIDDEN');
    expect(codeOf(await run(rep, { p: PERIOD, r: [id(w.reps.b1)] }, 'AE'))).toBe('NOT_FOUND');
    expect(codeOf(await run(rep, { p: PERIOD, r: [id(w.reps.a1)] }, 'AE'))).toBe('OK');
  });

  it('keeps company-wide snapshots to EXEC/ADMIN and narrows team and rep snapshots to the caller’s slice', async () => {
    const q = `query($g: ForecastGroupBy!) { forecastSnapshots(period: "2026-Q1", groupBy: $g) { groupKey } }`;
    const keys = async (role: Role, groupBy: string) => {
      const res = await run(q, { g: groupBy }, role);
      return res.errors ? codeOf(res) : (res.data as { forecastSnapshots: Array<{ groupKey: string | null }> }).forecastSnapshots.map((s) => s.groupKey).sort();
    };
    expect(await keys('MANAGER', 'COMPANY')).toBe('FORBIDDEN');
    expect(await keys('AE', 'COMPANY')).toBe('FORBIDDEN');
    expect(await keys('SDR', 'REP')).toBe('FORBIDDEN');
    expect(await keys('EXEC', 'COMPANY')).toEqual([null]);
    expect(await keys('MANAGER', 'TEAM')).toEqual([id(w.teams.teamA)]);
    expect(await keys('MANAGER', 'REP')).toEqual([id(w.reps.a1), id(w.reps.a2)].sort());
    expect(await keys('AE', 'REP')).toEqual([id(w.reps.a1)]);
    expect(await keys('AE', 'TEAM')).toEqual([]);
    expect(await keys('ADMIN', 'TEAM')).toEqual([id(w.teams.teamA), id(w.teams.teamB)].sort());
  });
});
