import { DATABASES } from '../helpers/databases';
import { createAccessWorld, createSecurityTestApp, type AccessWorld, type SecurityTestApp } from '../helpers/security';
import type { Em } from '../../src/db/orm';
import type { Identity } from '../../src/modules/auth/identity';

type Role = 'SDR' | 'AE' | 'MANAGER' | 'EXEC';
const PERIOD = { from: '2026-01-01', to: '2026-04-01', timeZone: 'UTC' };

/**
 * The KPI, forecast and scoring modules under the same rules as the core API (src/modules/auth/access.policy.ts),
 * on the hand-made world of test/helpers/security.ts: team A = MA, a1, a2, s1; team B = MB, b1, s2; deals
 * d1 (a1), d2 (a2), d3 (b1), one each, opened 2026-01-15, all open; leads l1 (s1), l2 (s2), l3 (a1).
 */
describe.each(DATABASES)('access rules in the KPI, forecast and scoring modules on %s', (kind) => {
  let app: SecurityTestApp;
  let w: AccessWorld;
  const run = (query: string, variables: Record<string, unknown>, role: Role) => app.execute(query, variables, w.identities[role] as Identity);
  const codeOf = (res: { errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> }) => res.errors?.[0]?.extensions?.code;

  beforeAll(async () => {
    app = await createSecurityTestApp(kind);
    w = await createAccessWorld(app.orm.em as Em);
  });
  afterAll(async () => app?.close());

  it('narrows every KPI to the caller’s slice (by rep), and another team’s slice is empty for a manager', async () => {
    const q = `query($p: KpiPeriodInput!, $f: KpiFilterInput) { kpi(key: "opportunitiesCreated", period: $p, filter: $f, groupBy: [REP]) { rows { value groups { key } } } }`;
    const repsWithDeals = async (role: Role, filter?: object) => {
      const res = await run(q, { p: PERIOD, f: filter }, role);
      expect(res.errors).toBeUndefined();
      const rows = (res.data as { kpi: { rows: Array<{ value: number | null; groups: Array<{ key: string }> }> } }).kpi.rows;
      return rows.filter((r) => (r.value ?? 0) > 0).map((r) => r.groups[0].key).sort();
    };
    const id = (r: { id: number }) => String(r.id);
    expect(await repsWithDeals('EXEC')).toEqual([id(w.reps.a1), id(w.reps.a2), id(w.reps.b1)].sort());
    expect(await repsWithDeals('MANAGER')).toEqual([id(w.reps.a1), id(w.reps.a2)].sort());
    expect(await repsWithDeals('AE')).toEqual([id(w.reps.a1)]);
    expect(await repsWithDeals('SDR')).toEqual([]);
    // Naming another team is answered as a read of it would be (src/modules/auth/aggregate.policy.ts).
    expect(codeOf(await run(q, { p: PERIOD, f: { teamIds: [id(w.teams.teamB)] } }, 'MANAGER'))).toBe('NOT_FOUND');
  });

  it('refuses cost, spend, margin and quota KPIs below MANAGER (FORBIDDEN), and leaves them out of dashboards', async () => {
    const one = (key: string) => `query($p: KpiPeriodInput!) { kpi(key: "${key}", period: $p) { key } }`;
    for (const key of ['cac', 'grossMargin', 'ltvCac', 'quotaAttainment', 'pipelineCoverage']) {
      expect({ key, code: codeOf(await run(one(key), { p: PERIOD }, 'AE')) }).toEqual({ key, code: 'FORBIDDEN' });
      // A MANAGER passes this rule (company-wide ones like cac may still not split by its team's reps: BAD_USER_INPUT).
      expect({ key, code: codeOf(await run(one(key), { p: PERIOD }, 'MANAGER')) }).not.toEqual({ key, code: 'FORBIDDEN' });
    }
    expect(codeOf(await run(`query($p: KpiPeriodInput!) { kpis(keys: ["revenue", "cac"], period: $p) { key } }`, { p: PERIOD }, 'SDR'))).toBe('FORBIDDEN');
    const dash = `query($p: KpiPeriodInput!) { dashboard(role: AE, period: $p) { kpis { key } } }`;
    const keys = async (role: Role) => ((await run(dash, { p: PERIOD }, role)).data as { dashboard: { kpis: Array<{ key: string }> } }).dashboard.kpis.map((k) => k.key);
    expect(await keys('AE')).not.toContain('quotaAttainment');
    expect(await keys('MANAGER')).toContain('quotaAttainment');
  });

  it('hides KPI targets (quotas) below MANAGER', async () => {
    const q = `query($p: KpiPeriodInput!, $f: KpiFilterInput) { kpi(key: "revenue", period: $p, filter: $f) { rows { target { value } } } }`;
    const f = { repIds: [String(w.reps.a1.id)] };
    expect((await run(q, { p: PERIOD, f }, 'AE')).data).toEqual({ kpi: { rows: [{ target: null }] } });
    expect((await run(q, { p: PERIOD, f }, 'MANAGER')).data).toEqual({ kpi: { rows: [{ target: { value: 100000 } }] } });
  });

  it('forecasts only the caller’s deals: own for an AE, the team for a MANAGER; others FORBIDDEN; quota hidden below MANAGER', async () => {
    const q = `query($team: ID, $rep: ID) { forecast(period: "2026-Q4", simulations: 200, teamId: $team, repId: $rep) { total { openDeals quota gapToQuota } } }`;
    const total = async (role: Role, vars: Record<string, unknown> = {}) => {
      const res = await run(q, vars, role);
      expect(res.errors).toBeUndefined();
      return (res.data as { forecast: { total: { openDeals: number; quota: number | null; gapToQuota: number | null } } }).forecast.total;
    };
    expect((await total('EXEC')).openDeals).toBe(3);
    expect((await total('MANAGER')).openDeals).toBe(2);
    expect(await total('MANAGER')).toEqual(await total('MANAGER', { team: String(w.teams.teamA.id) }));
    const ae = await total('AE');
    expect([ae.openDeals, ae.quota, ae.gapToQuota]).toEqual([1, null, null]);
    expect(codeOf(await run(q, {}, 'SDR'))).toBe('FORBIDDEN');
    expect(codeOf(await run(q, { team: String(w.teams.teamA.id) }, 'AE'))).toBe('FORBIDDEN');
    expect(codeOf(await run(q, { rep: String(w.reps.a2.id) }, 'AE'))).toBe('FORBIDDEN');
    expect(codeOf(await run(q, { team: String(w.teams.teamB.id) }, 'MANAGER'))).toBe('NOT_FOUND');
    expect(codeOf(await run(`{ forecastSnapshots(period: "2026-Q4") { id } }`, {}, 'MANAGER'))).toBe('FORBIDDEN');
  });

  it('serves each SDR its own lead queue and a MANAGER its team’s; other queues are FORBIDDEN', async () => {
    const q = `query($owner: ID, $team: ID) { leadQueue(owner: $owner, team: $team, first: 50) { edges { node { name } } } }`;
    const names = async (role: Role, vars: Record<string, unknown> = {}) => {
      const res = await run(q, vars, role);
      expect(res.errors).toBeUndefined();
      return (res.data as { leadQueue: { edges: Array<{ node: { name: string } }> } }).leadQueue.edges.map((e) => e.node.name).sort();
    };
    expect(await names('SDR')).toEqual(['L1']);
    expect(await names('SDR', { owner: String(w.reps.s1.id) })).toEqual(['L1']);
    expect(await names('AE')).toEqual(['L3']);
    expect(await names('MANAGER', { team: String(w.teams.teamA.id) })).toEqual(['L1', 'L3']);
    expect(await names('EXEC')).toEqual(['L1', 'L2', 'L3']);
    expect(codeOf(await run(q, { owner: String(w.reps.s2.id) }, 'SDR'))).toBe('NOT_FOUND');
    expect(codeOf(await run(q, { owner: String(w.reps.a1.id) }, 'SDR'))).toBe('FORBIDDEN'); // a readable colleague
    expect(codeOf(await run(q, { team: String(w.teams.teamB.id) }, 'MANAGER'))).toBe('NOT_FOUND');
  });

  it('keeps model training and activation to ADMIN, and the model registry to MANAGER and above', async () => {
    expect(codeOf(await run(`mutation { trainModel(kind: LEAD) { id } }`, {}, 'MANAGER'))).toBe('FORBIDDEN');
    expect(codeOf(await run(`mutation { activateModel(version: "x") { id } }`, {}, 'EXEC'))).toBe('FORBIDDEN');
    expect(codeOf(await run(`{ models(kind: LEAD) { version } }`, {}, 'AE'))).toBe('FORBIDDEN');
    expect((await run(`{ models(kind: LEAD) { version } }`, {}, 'MANAGER')).errors).toBeUndefined();
  });
});
