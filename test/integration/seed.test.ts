import { createHash } from 'node:crypto';
import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';
import { SeedRefusedError, seedDemoWorld, type SeedReport } from '../../seeds';

const END = new Date('2026-06-30T00:00:00Z');

/** Epoch ms from either platform's datetime (SQLite: integer ms; PostgreSQL: Date, or an ISO string through the ORM). */
const ms = (v: unknown): number | null =>
  v === null || v === undefined ? null : v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : Number(v);

type Row = Record<string, unknown>;
const query = (app: TestApp, sql: string): Promise<Row[]> => app.orm.em.getConnection().execute(sql);

/** A digest of the generated rows that must not depend on the platform. */
async function checksum(app: TestApp): Promise<string> {
  const hash = createHash('sha256');
  const deals = await query(app, 'select id, account_id, owner_id, product_id, amount_cents, stage_id, status, opened_at, closed_at, loss_reason, source_lead_id, source from deals order by id');
  for (const d of deals) hash.update(JSON.stringify([d.id, d.account_id, d.owner_id, d.product_id, Number(d.amount_cents), d.stage_id, d.status, ms(d.opened_at), ms(d.closed_at), d.loss_reason, d.source_lead_id, d.source]));
  const leads = await query(app, 'select id, source, status, created_at, sql_at, converted_deal_id, attributes from leads order by id');
  for (const l of leads) {
    const attributes = typeof l.attributes === 'string' ? JSON.parse(l.attributes) : l.attributes;
    hash.update(JSON.stringify([l.id, l.source, l.status, ms(l.created_at), ms(l.sql_at), l.converted_deal_id, Object.entries(attributes as object).sort()]));
  }
  const activities = await query(app, 'select id, type, outcome, rep_id, lead_id, deal_id, at from activities order by id');
  for (const a of activities) hash.update(JSON.stringify([a.id, a.type, a.outcome, a.rep_id, a.lead_id, a.deal_id, ms(a.at)]));
  const orders = await query(app, 'select id, account_id, deal_id, amount_cents, cost_cents, ordered_at from orders order by id');
  for (const o of orders) hash.update(JSON.stringify([o.id, o.account_id, o.deal_id, Number(o.amount_cents), Number(o.cost_cents), ms(o.ordered_at)]));
  return hash.digest('hex');
}

const digests = new Map<string, string>();

describe.each(DATABASES)('seedDemoWorld on %s', (kind) => {
  let app: TestApp;
  let report: SeedReport;

  beforeAll(async () => {
    app = await createTestApp(kind);
    report = await seedDemoWorld(app.orm, { seed: 7, deals: 1000, end: END });
  });
  afterAll(async () => app?.close());

  it('reports the rows it wrote and scales the world from `deals`', async () => {
    const [row] = await query(app, 'select (select count(*) from deals) d, (select count(*) from leads) l, (select count(*) from activities) a, (select count(*) from deal_stage_changes) s, (select count(*) from orders) o');
    expect(report.counts.deals).toBe(1000);
    expect(Number(row.d)).toBe(1000);
    expect(Number(row.l)).toBe(report.counts.leads);
    expect(Number(row.a)).toBe(report.counts.activities);
    expect(Number(row.s)).toBe(report.counts.dealStageChanges);
    expect(Number(row.o)).toBe(report.counts.orders);
    // ~1 / 0.34 leads per deal (truth: overall conversion), about 5-6 activities per deal.
    expect(report.counts.leads / 1000).toBeGreaterThan(2.5);
    expect(report.counts.leads / 1000).toBeLessThan(3.5);
    expect(report.counts.activities / 1000).toBeGreaterThan(4.5);
    expect(report.counts.activities / 1000).toBeLessThan(7);
  });

  it('is deterministic: same seed gives the same rows (and the same on every platform), another seed differs', async () => {
    const first = await checksum(app);
    const again = await createTestApp(kind);
    try {
      await seedDemoWorld(again.orm, { seed: 7, deals: 1000, end: END });
      expect(await checksum(again)).toBe(first);
      await seedDemoWorld(again.orm, { seed: 8, deals: 1000, end: END, reset: true });
      expect(await checksum(again)).not.toBe(first);
    } finally {
      await again.close();
    }
    for (const other of digests.values()) expect(first).toBe(other);
    digests.set(kind, first);
  });

  it('refuses a non-empty database unless reset, and reset restarts ids', async () => {
    await expect(seedDemoWorld(app.orm, { seed: 7, deals: 100, end: END })).rejects.toThrow(SeedRefusedError);
    const before = await checksum(app);
    await seedDemoWorld(app.orm, { seed: 7, deals: 1000, end: END, reset: true });
    expect(await checksum(app)).toBe(before);
  });

  it('keeps every reference valid', async () => {
    const orphans = await query(
      app,
      `select
        (select count(*) from leads l where l.converted_deal_id is not null and not exists (select 1 from deals d where d.id = l.converted_deal_id)) +
        (select count(*) from leads l where l.account_id is not null and not exists (select 1 from accounts a where a.id = l.account_id)) +
        (select count(*) from deals d where not exists (select 1 from accounts a where a.id = d.account_id)) +
        (select count(*) from deals d where not exists (select 1 from reps r where r.id = d.owner_id)) +
        (select count(*) from deals d where not exists (select 1 from products p where p.id = d.product_id)) +
        (select count(*) from deals d where not exists (select 1 from pipeline_stages s where s.id = d.stage_id)) +
        (select count(*) from deal_stage_changes c where not exists (select 1 from deals d where d.id = c.deal_id)) +
        (select count(*) from activities a where a.deal_id is not null and not exists (select 1 from deals d where d.id = a.deal_id)) +
        (select count(*) from activities a where a.lead_id is not null and not exists (select 1 from leads l where l.id = a.lead_id)) +
        (select count(*) from activities a where not exists (select 1 from reps r where r.id = a.rep_id)) +
        (select count(*) from orders o where not exists (select 1 from accounts a where a.id = o.account_id)) +
        (select count(*) from targets t where t.rep_id is not null and not exists (select 1 from reps r where r.id = t.rep_id)) +
        (select count(*) from accounts a where a.parent_id is not null and not exists (select 1 from accounts p where p.id = a.parent_id and p.segment = 'A')) as n`,
    );
    expect(Number(orphans[0].n)).toBe(0);
    if (kind === 'sqlite') expect(await query(app, 'pragma foreign_key_check')).toEqual([]);
  });

  it('writes consistent stage histories, statuses and dates', async () => {
    const stages = new Map((await query(app, 'select id, name, position, is_won, is_lost from pipeline_stages')).map((s) => [s.id as number, s]));
    const deals = await query(app, 'select id, stage_id, status, opened_at, closed_at, stage_entered_at, amount_cents, loss_reason, version from deals');
    const changes = await query(app, 'select deal_id, from_stage_id, to_stage_id, at from deal_stage_changes order by deal_id, at, id');
    const byDeal = new Map<number, Row[]>();
    for (const c of changes) {
      const list = byDeal.get(c.deal_id as number) ?? [];
      list.push(c);
      byDeal.set(c.deal_id as number, list);
    }
    const end = END.getTime();
    const problems: string[] = [];
    const check = (ok: boolean, what: string, id: unknown) => {
      if (!ok && problems.length < 10) problems.push(`deal ${id}: ${what}`);
    };
    const openStagesSeen = new Set<string>();
    let maxWonCycle = 0;
    let maxOpenAge = 0;
    for (const d of deals) {
      const history = byDeal.get(d.id as number) ?? [];
      check(history.length > 0 && history[0].from_stage_id === null && stages.get(history[0].to_stage_id as number)!.position === 1, 'starts in the first stage from null', d.id);
      for (let k = 1; k < history.length; k++) {
        const from = stages.get(history[k].from_stage_id as number)!;
        const to = stages.get(history[k].to_stage_id as number)!;
        check(history[k].from_stage_id === history[k - 1].to_stage_id, 'from = previous to', d.id);
        check(ms(history[k].at)! >= ms(history[k - 1].at)!, 'time-ordered', d.id);
        check(!from.is_won && !from.is_lost, 'nothing after a close', d.id);
        check(to.is_won || to.is_lost ? true : to.position === (from.position as number) + 1, 'open moves go one stage forward', d.id);
        check(!to.is_won || from.name === 'Negotiation', 'won from Negotiation', d.id);
      }
      const last = history[history.length - 1];
      const stage = stages.get(d.stage_id as number)!;
      const status = stage.is_won ? 'WON' : stage.is_lost ? 'LOST' : 'OPEN';
      check(last.to_stage_id === d.stage_id && ms(d.stage_entered_at) === ms(last.at), 'stage and stageEnteredAt = last change', d.id);
      check(d.version === history.length, 'version counts the moves', d.id);
      check(Number(d.amount_cents) > 0, 'positive amount', d.id);
      check(ms(last.at)! <= end, 'nothing after end', d.id);
      check(d.status === status, 'status mirrors the stage', d.id);
      if (status === 'OPEN') {
        check(d.closed_at === null, 'open deals have no closedAt', d.id);
        openStagesSeen.add(stage.name as string);
        maxOpenAge = Math.max(maxOpenAge, end - ms(d.opened_at)!);
      } else {
        check(ms(d.closed_at) === ms(last.at) && ms(d.closed_at)! >= ms(d.opened_at)!, 'closedAt = last change >= openedAt', d.id);
      }
      check(status === 'LOST' ? ['price', 'timing', 'competitor', 'no decision', 'positioning'].includes(d.loss_reason as string) : d.loss_reason === null, 'loss reason iff lost', d.id);
      if (status === 'WON') maxWonCycle = Math.max(maxWonCycle, ms(d.closed_at)! - ms(d.opened_at)!);
    }
    expect(problems).toEqual([]);
    expect([...openStagesSeen].sort()).toEqual(['Discovery/Demo', 'Negotiation', 'Proposal', 'Prospecting', 'Qualification']);
    // Stale deals: some open deals are far older than any deal ever took to win.
    expect(maxOpenAge).toBeGreaterThan(maxWonCycle * 1.5);
  });

  it('links converted leads to their deals and keeps lead statuses consistent with their timestamps', async () => {
    const end = END.getTime();
    const leads = await query(app, 'select l.id, l.status, l.source, l.created_at, l.first_contacted_at, l.mql_at, l.sql_at, l.closed_at, l.converted_deal_id, l.has_authority, l.attributes, d.source_lead_id, d.source as deal_source, d.opened_at from leads l left join deals d on d.id = l.converted_deal_id');
    const counts: Record<string, number> = {};
    const problems: string[] = [];
    const check = (ok: boolean, what: string, id: unknown) => {
      if (!ok && problems.length < 10) problems.push(`lead ${id}: ${what}`);
    };
    const keys = ['Lead Origin', 'Newsletter', 'Occupation', 'Page Views Per Visit', 'Random Score', 'Time On Site', 'Total Visits'].join();
    let missingOccupation = 0;
    for (const l of leads) {
      counts[l.status as string] = (counts[l.status as string] ?? 0) + 1;
      const created = ms(l.created_at)!;
      const contacted = ms(l.first_contacted_at);
      const qualified = ms(l.sql_at);
      const closed = ms(l.closed_at);
      check(created <= end && (closed === null || closed <= end), 'nothing after end', l.id);
      check(contacted === null || contacted >= created, 'contacted after creation', l.id);
      check(qualified === null || (contacted !== null && qualified >= contacted), 'qualified after contact', l.id);
      check(closed === null || closed >= (qualified ?? contacted ?? created), 'closed last', l.id);
      if (l.status === 'CONVERTED') {
        check(l.converted_deal_id !== null && l.source_lead_id === l.id && l.deal_source === l.source, 'linked both ways, same source', l.id);
        check(closed === ms(l.opened_at) && qualified !== null, 'converted when the deal opened, after SQL', l.id);
      } else if (l.status === 'DISQUALIFIED') check(closed !== null && l.converted_deal_id === null, 'disqualified: closed, no deal', l.id);
      else if (l.status === 'QUALIFIED') check(qualified !== null && closed === null, 'qualified: sqlAt, open', l.id);
      else if (l.status === 'CONTACTED') check(contacted !== null && qualified === null && closed === null, 'contacted only', l.id);
      else if (l.status === 'NEW') check(contacted === null && qualified === null && closed === null && l.has_authority === null, 'new: untouched', l.id);
      else check(false, `unexpected status ${l.status}`, l.id);
      const attributes = (typeof l.attributes === 'string' ? JSON.parse(l.attributes) : l.attributes) as Record<string, unknown>;
      check(Object.keys(attributes).sort().join() === keys && attributes.Newsletter === 'No', 'custom fields', l.id);
      if (attributes.Occupation === null) missingOccupation++;
    }
    expect(problems).toEqual([]);
    expect(counts.CONVERTED).toBe(1000);
    for (const status of ['NEW', 'CONTACTED', 'QUALIFIED', 'DISQUALIFIED']) expect(counts[status]).toBeGreaterThan(0);
    // Occupation is hidden for 25 % of leads (binomial sd ~ 0.8 % here).
    expect(missingOccupation / leads.length).toBeGreaterThan(0.21);
    expect(missingOccupation / leads.length).toBeLessThan(0.29);
  });

  it('gives every won deal its first order, and only repeat orders come without a deal', async () => {
    const [row] = await query(
      app,
      `select (select count(*) from deals d where d.status = 'WON' and not exists (select 1 from orders o where o.deal_id = d.id and o.ordered_at = d.closed_at and o.amount_cents = d.amount_cents)) as missing,
              (select count(*) from orders o join deals d on d.id = o.deal_id where d.status <> 'WON') as bad,
              (select count(*) from orders where deal_id is null) as repeats,
              (select count(*) from orders where cost_cents >= amount_cents or amount_cents <= 0) as unprofitable`,
    );
    expect(Number(row.missing)).toBe(0);
    expect(Number(row.bad)).toBe(0);
    expect(Number(row.repeats)).toBeGreaterThan(0);
    expect(Number(row.unprofitable)).toBe(0);
  });

  it('writes quarterly revenue quotas per AE, team and company, and monthly spend by channel', async () => {
    const quotas = await query(app, `select scope, count(*) as n, sum(value) as total from targets where kpi_key = 'revenue' group by scope`);
    const by = Object.fromEntries(quotas.map((q) => [q.scope, q]));
    expect(Number(by.COMPANY.n)).toBe(12); // history 2023-07-01 .. 2026-06-30: 2023-Q3 .. 2026-Q2
    expect(Number(by.TEAM.n)).toBe(60);
    expect(Number(by.COMPANY.total)).toBeCloseTo(Number(by.TEAM.total), 0);
    expect(Number(by.TEAM.total)).toBeCloseTo(Number(by.REP.total), 0);
    const keys = (await query(app, 'select distinct kpi_key from targets order by kpi_key')).map((r) => r.kpi_key);
    expect(keys).toEqual(['callsMade', 'meetingsBooked', 'revenue', 'winRate']);
    const channels = await query(app, `select category, channel, count(*) as n from spend group by category, channel order by category, channel`);
    expect(channels.map((c) => `${c.category}:${c.channel ?? '-'}`).sort()).toEqual([
      'MARKETING:Event', 'MARKETING:Organic', 'MARKETING:Paid Ads', 'MARKETING:Partner', 'MARKETING:Referral', 'MARKETING:Webinar', 'SALES:-', 'SALES:Outbound',
    ]);
    expect(channels.every((c) => Number(c.n) === 35)).toBe(true); // 2023-08 .. 2026-06 (the last one ends at END): 35 months
  });
});
