import { DATABASES, type TestApp } from '../helpers/databases';
import { createSeededTestApp } from '../helpers/seeded-world';
import type { Em } from '../../src/db/orm';
import { loadFacts } from '../../src/modules/forecast/facts.sql';
import { isOpenAt } from '../../src/modules/forecast/facts';
import { periodOrFail } from '../../src/shared/period';
import { identityOfRep } from '../../src/modules/auth/access.policy';
import { RepRole } from '../../src/shared/enums';
import { referenceMovement } from '../helpers/movement-reference';

/*
 * On a copy of the standard seeded world (3,000 deals ending 2026-11-23; the seed pushes every 4th deal's close date when it reaches
 * Discovery/Demo and raises every 5th deal's amount at Proposal), plus API writes made now: the waterfall of
 * 2026-Q4 between Oct 1 and Nov 20 must reconcile exactly, in cents, with the two pipelines computed
 * independently from the forecast loader's as-of facts.
 */
const MOVEMENT = `query($from: DateTimeISO!, $to: DateTimeISO!, $period: String!, $teamId: ID, $repId: ID, $first: Int, $after: String) {
  pipelineMovement(from: $from, to: $to, period: $period, teamId: $teamId, repId: $repId) {
    period start { amount count } end { amount count }
    bars { kind label sign amount count deals(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
      edges { node { dealId amount amountFrom amountTo closeDateFrom closeDateTo inStart inEnd deal { id owner { id } } } } } }
  } }`;

interface Bar { kind: string; sign: number; amount: number; count: number; deals: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ node: any }> } }
interface Movement { start: { amount: number; count: number }; end: { amount: number; count: number }; bars: Bar[] }

const cents = (x: number) => Math.round(x * 100);

describe.each(DATABASES)('pipelineMovement on %s', (kind) => {
  let app: TestApp;
  const from = '2026-10-01T00:00:00.000Z';
  const to = '2026-11-20T00:00:00.000Z';

  beforeAll(async () => {
    app = await createSeededTestApp(kind, 'standard'); // a copy: the suite writes
  }, 120_000);
  afterAll(async () => app?.close());

  const run = async (variables: Record<string, unknown>, identity?: Parameters<TestApp['execute']>[2]) => {
    const res = await app.execute<{ pipelineMovement: Movement }>(MOVEMENT, { from, to, period: '2026-Q4', first: 20, ...variables }, identity);
    return res;
  };

  /** The pipeline of 2026-Q4 at T from the forecast loader (amount and close date as known at T), in cents. */
  async function snapshot(at: string, inScope: (rep: number) => boolean = () => true) {
    const t = await loadFacts((app.orm.em as Em).fork() as Em, new Date(at));
    const period = periodOrFail('2026-Q4');
    let amount = 0;
    let count = 0;
    for (let i = 0; i < t.n; i++) {
      const ec = t.expectedClose[i];
      if (!isOpenAt(t, i, Date.parse(at)) || !(ec >= period.start && ec < period.end) || !inScope(t.rep[i])) continue;
      amount += t.amount[i];
      count++;
    }
    return { amount, count };
  }

  it('the seed wrote a field history consistent with its stage history', async () => {
    const conn = app.orm.em.getConnection();
    const [row] = await conn.execute(`select
      (select count(*) from deal_changes where field = 'STAGE') as stage_changes,
      (select count(*) from deal_stage_changes where from_stage_id is not null) as moves,
      (select count(*) from deal_changes where field = 'STATUS') as closes,
      (select count(*) from deals where status <> 'OPEN' and closed_at is not null) as closed_deals,
      (select count(*) from deal_changes where field = 'AMOUNT') as raises,
      (select count(*) from deal_changes where field = 'EXPECTED_CLOSE_DATE') as pushes`);
    expect(Number(row.stage_changes)).toBe(Number(row.moves));
    expect(Number(row.closes)).toBe(Number(row.closed_deals));
    expect(Number(row.raises)).toBeGreaterThan(50);
    expect(Number(row.pushes)).toBeGreaterThan(50);
  });

  it('reconciles exactly with the two pipeline snapshots, company-wide and per team', async () => {
    const res = await run({});
    expect(res.errors).toBeUndefined();
    const m = res.data!.pipelineMovement;
    const [s0, s1] = [await snapshot(from), await snapshot(to)];
    expect({ amount: cents(m.start.amount), count: m.start.count }).toEqual(s0);
    expect({ amount: cents(m.end.amount), count: m.end.count }).toEqual(s1);
    expect(cents(m.start.amount) + m.bars.reduce((s, b) => s + b.sign * cents(b.amount), 0)).toBe(cents(m.end.amount));
    const kinds = Object.fromEntries(m.bars.map((b) => [b.kind, b.count]));
    for (const k of ['NEW', 'WON', 'LOST', 'INCREASED']) expect(kinds[k]).toBeGreaterThan(0);
    expect(kinds.REASSIGNED_OUT).toBe(0); // nobody was reassigned in the seed

    const [{ id: teamId }] = await app.orm.em.getConnection().execute(`select id from teams order by id limit 1`);
    const members = new Set((await app.orm.em.getConnection().execute(`select id from reps where team_id = ?`, [teamId])).map((r: { id: number }) => Number(r.id)));
    const team = (await run({ teamId: String(teamId) })).data!.pipelineMovement;
    expect(cents(team.start.amount)).toBe((await snapshot(from, (r) => members.has(r))).amount);
    expect(cents(team.end.amount)).toBe((await snapshot(to, (r) => members.has(r))).amount);
    expect(cents(team.start.amount) + team.bars.reduce((s, b) => s + b.sign * cents(b.amount), 0)).toBe(cents(team.end.amount));
    expect(team.start.amount).toBeLessThan(m.start.amount);
  });

  it('sees API writes: a deal reassigned to another team and a deal pushed out of the quarter, still reconciling', async () => {
    const conn = app.orm.em.getConnection();
    const open = await conn.execute(`select d.id, d.version, d.owner_id, r.team_id from deals d join reps r on r.id = d.owner_id
      where d.status = 'OPEN' and d.expected_close_date >= ? and d.expected_close_date < ? order by d.id limit 2`,
      kind === 'sqlite' ? [Date.parse('2026-10-01'), Date.parse('2027-01-01')] : ['2026-10-01T00:00:00Z', '2027-01-01T00:00:00Z']);
    expect(open).toHaveLength(2);
    const [moved, pushed] = open;
    const [target] = await conn.execute(`select id, team_id from reps where role = 'AE' and team_id <> ? order by id limit 1`, [moved.team_id]);
    const UPDATE = `mutation($id: ID!, $version: Int!, $input: UpdateDealInput!) { updateDeal(id: $id, version: $version, input: $input) { id } }`;
    expect((await app.execute(UPDATE, { id: String(moved.id), version: Number(moved.version), input: { ownerId: String(target.id) } })).errors).toBeUndefined();
    expect((await app.execute(UPDATE, { id: String(pushed.id), version: Number(pushed.version), input: { expectedCloseDate: '2027-02-15T00:00:00.000Z' } })).errors).toBeUndefined();
    const now = new Date(Date.now() + 1000).toISOString();
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const company = (await run({ to: now })).data!.pipelineMovement;
    expect(cents(company.start.amount)).toBe((await snapshot(from)).amount);
    expect(cents(company.end.amount)).toBe((await snapshot(now)).amount);
    expect(cents(company.start.amount) + company.bars.reduce((s, b) => s + b.sign * cents(b.amount), 0)).toBe(cents(company.end.amount));
    const ids = (m: Movement, k: string) => m.bars.find((b) => b.kind === k)!.deals.edges.map((e) => e.node.dealId);
    expect(ids(company, 'PUSHED_OUT')).toContain(String(pushed.id));
    expect(ids(company, 'REASSIGNED_OUT')).toEqual([]); // inside the company nothing was reassigned out

    const losing = (await run({ to: now, teamId: String(moved.team_id) })).data!.pipelineMovement;
    expect(ids(losing, 'REASSIGNED_OUT')).toEqual([String(moved.id)]);
    expect(cents(losing.start.amount) + losing.bars.reduce((s, b) => s + b.sign * cents(b.amount), 0)).toBe(cents(losing.end.amount));
    const gaining = (await run({ to: now, teamId: String(target.team_id) })).data!.pipelineMovement;
    expect(ids(gaining, 'REASSIGNED_IN')).toContain(String(moved.id));
  });

  it('gives the reference answer (the pure classification over every deal and change): totals, bars, and every page of every bar', async () => {
    const PAGE = `query($from: DateTimeISO!, $to: DateTimeISO!, $period: String!, $teamId: ID, $repId: ID, $kind: MovementKind!, $after: String) {
      pipelineMovement(from: $from, to: $to, period: $period, teamId: $teamId, repId: $repId) {
        start { amount count } end { amount count } bars { kind amount count }
        bar(kind: $kind) { deals(first: 37, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
          edges { cursor node { dealId amount amountFrom amountTo closeDateFrom closeDateTo ownerIdFrom ownerIdTo statusTo inStart inEnd } } } } } }`;
    const conn = app.orm.em.getConnection();
    const [{ id: teamId }] = await conn.execute(`select id from teams order by id limit 1`);
    const [{ id: repId }] = await conn.execute(`select owner_id as id from deals where status = 'OPEN' group by owner_id order by count(*) desc, owner_id limit 1`);
    const now = new Date(Date.now() - 1000).toISOString(); // after the writes of the test above
    const windows = [[from, to, '2026-Q4'], ['2026-07-01T00:00:00.000Z', '2026-10-01T00:00:00.000Z', '2026-Q3'], [from, now, '2026-Q4'], ['2026-10-15T12:00:00.000Z', now, '2026']];
    const scopes: Array<{ teamId?: number; repId?: number }> = [{}, { teamId: Number(teamId) }, { repId: Number(repId) }];
    const date = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString());
    let checkedDeals = 0;
    for (const [f, t, period] of windows) {
      for (const scope of scopes) {
        const ref = await referenceMovement((app.orm.em as Em).fork() as Em, { from: new Date(f), to: new Date(t), period, scope });
        const vars = { from: f, to: t, period, ...(scope.teamId && { teamId: String(scope.teamId) }), ...(scope.repId && { repId: String(scope.repId) }) };
        for (const refBar of ref.bars) {
          const edges: Array<{ cursor: string; node: Record<string, unknown> }> = [];
          let after: string | null = null;
          let m: any;
          do {
            const res = await app.execute<{ pipelineMovement: any }>(PAGE, { ...vars, kind: refBar.kind, after });
            expect(res.errors).toBeUndefined();
            m = res.data!.pipelineMovement;
            expect(m.bar.deals.pageInfo.hasPreviousPage).toBe(after != null);
            edges.push(...m.bar.deals.edges);
            after = m.bar.deals.pageInfo.endCursor;
          } while (m.bar.deals.pageInfo.hasNextPage);
          expect({ start: { amount: cents(m.start.amount), count: m.start.count }, end: { amount: cents(m.end.amount), count: m.end.count } }).toEqual({ start: ref.start, end: ref.end });
          const bar = m.bars.find((b: Bar) => b.kind === refBar.kind);
          expect([refBar.kind, cents(bar.amount), bar.count, m.bar.deals.totalCount]).toEqual([refBar.kind, refBar.amount, refBar.count, refBar.count]);
          expect(edges.map((e) => ({ cursor: e.cursor, ...e.node, amount: cents(e.node.amount as number), amountFrom: cents(e.node.amountFrom as number), amountTo: cents(e.node.amountTo as number) }))).toEqual(
            refBar.entries.map((e) => ({
              cursor: Buffer.from(`deal:${e.dealId}`).toString('base64url'),
              dealId: String(e.dealId),
              amount: ref.amountIn(e, refBar.kind),
              amountFrom: e.start.amount,
              amountTo: e.end.amount,
              closeDateFrom: date(e.start.closeDate),
              closeDateTo: date(e.end.closeDate),
              ownerIdFrom: e.start.owner == null ? null : String(e.start.owner),
              ownerIdTo: e.end.owner == null ? null : String(e.end.owner),
              statusTo: e.end.status,
              inStart: e.inStart,
              inEnd: e.inEnd,
            })),
          );
          checkedDeals += edges.length;
        }
      }
    }
    expect(checkedDeals).toBeGreaterThan(400); // the comparison covered real bars, not empty ones
  }, 120_000);

  it('a bar opens exactly its deals, page by page', async () => {
    const BAR = `query($from: DateTimeISO!, $to: DateTimeISO!, $after: String) { pipelineMovement(from: $from, to: $to, period: "2026-Q4") {
      bar(kind: WON) { amount count deals(first: 7, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { dealId amount } } } } } }`;
    const wonBar = async (after?: string | null) => (await app.execute<{ pipelineMovement: { bar: Bar } }>(BAR, { from, to, after })).data!.pipelineMovement.bar;
    const bar = await wonBar();
    const m = (await run({})).data!.pipelineMovement;
    expect(bar.count).toBe(m.bars.find((b) => b.kind === 'WON')!.count);
    expect(bar.count).toBeGreaterThan(7);
    expect(bar.deals.totalCount).toBe(bar.count);
    const items = [...bar.deals.edges];
    let page = bar.deals;
    while (page.pageInfo.hasNextPage) {
      const next = (await wonBar(page.pageInfo.endCursor)).deals;
      items.push(...next.edges);
      page = next;
    }
    expect(items).toHaveLength(bar.count);
    expect(new Set(items.map((e) => e.node.dealId)).size).toBe(bar.count);
    expect(items.reduce((s, e) => s + cents(e.node.amount), 0)).toBe(cents(bar.amount));
    // won inside the window: closed between from and to, as its deal says
    const ids = items.map((e) => Number(e.node.dealId));
    const rows = await app.orm.em.getConnection().execute(`select id, status, closed_at from deals where id in (${ids.join(',')})`);
    for (const r of rows) {
      expect(r.status).toBe('WON');
      const closed = new Date(typeof r.closed_at === 'string' && /^\d+$/.test(r.closed_at) ? Number(r.closed_at) : r.closed_at).getTime();
      expect(closed >= Date.parse(from) && closed < Date.parse(to)).toBe(true);
    }
  });

  it('applies the access rules of deals: an AE sees its own pipeline, an SDR none, a manager not another team', async () => {
    const conn = app.orm.em.getConnection();
    const [ae] = await conn.execute(`select r.id, r.team_id from reps r where r.role = 'AE' and exists (select 1 from deals d where d.owner_id = r.id and d.status = 'OPEN') order by r.id limit 1`);
    const identity = identityOfRep({ id: Number(ae.id), role: RepRole.AE, team: { id: Number(ae.team_id) } });
    const own = await run({}, identity);
    expect(own.errors).toBeUndefined();
    const admin = (await run({ repId: String(ae.id) })).data!.pipelineMovement;
    expect(own.data!.pipelineMovement.start).toEqual(admin.start);
    expect(own.data!.pipelineMovement.end).toEqual(admin.end);
    for (const bar of own.data!.pipelineMovement.bars) for (const e of bar.deals.edges) expect(e.node.deal?.owner?.id ?? String(ae.id)).toBe(String(ae.id));
    expect((await run({ teamId: String(ae.team_id) }, identity)).errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const [sdr] = await conn.execute(`select id, team_id from reps where role = 'SDR' order by id limit 1`);
    const sdrRes = await run({}, identityOfRep({ id: Number(sdr.id), role: RepRole.SDR, team: { id: Number(sdr.team_id) } }));
    expect(sdrRes.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const [mgr] = await conn.execute(`select id, team_id from reps where role = 'MANAGER' order by id limit 1`);
    const [otherTeam] = await conn.execute(`select id from teams where id <> ? order by id limit 1`, [mgr.team_id]);
    const manager = identityOfRep({ id: Number(mgr.id), role: RepRole.MANAGER, team: { id: Number(mgr.team_id) } });
    expect((await run({ teamId: String(otherTeam.id) }, manager)).errors?.[0].extensions?.code).toBe('NOT_FOUND'); // another team is unreadable: answered as team(id) would
    const mine = await run({}, manager);
    expect(mine.data!.pipelineMovement.start).toEqual((await run({ teamId: String(mgr.team_id) })).data!.pipelineMovement.start);
  });

  it('refuses a window that ends before it starts or in the future, and a bad period, with the field', async () => {
    const backwards = await run({ from: to, to: from });
    expect(backwards.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    const future = await run({ to: new Date(Date.now() + 86_400_000).toISOString() });
    expect(future.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    const period = await run({ period: 'Q4' });
    expect(period.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'period' });
  });
});
