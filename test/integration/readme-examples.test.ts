import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, parseDatabaseUrl } from '../../src/config';
import { dateValue, readEpochMs } from '../../src/db/dialect';
import { createOrm, type Em, type Orm } from '../../src/db/orm';
import { authenticate } from '../../src/modules/auth/authenticate';
import { AccessRole } from '../../src/modules/auth/identity';
import { Rep } from '../../src/modules/rep/rep.entity';
import { argsOf, runCli, type CliResult } from '../helpers/cli';
import { DATABASES, type TestApp } from '../helpers/databases';
import { createSeededTestApp } from '../helpers/seeded-world';
import { cliLines, graphqlBlocks, inlineCliMentions } from '../helpers/readme';

/**
 * The README is a contract: every GraphQL block runs, in README order, mutations included, against a freshly
 * seeded world, and every `npx pipewise` line runs through the real binary; each is checked by value. A block or
 * line without a check here fails: add one that says what a reader should see.
 */
type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type State = Record<string, Data>;

/** The seeded database behind the app, read directly: what the README's numbers are checked against. */
interface Db {
  rows(sql: string, params?: unknown[]): Promise<Data[]>;
  /** A Date as the dialect binds it for a datetime column. */
  at(iso: string): unknown;
}

interface GraphqlCheck {
  variables?: (state: State) => Record<string, unknown>;
  check: (data: Data, state: State, db: Db) => void | Promise<void>;
}

/** Whole cents of an amount the API gives in major units. */
const cents = (x: number) => Math.round(x * 100);
/** "YYYY-MM" of an instant in a time zone. */
const monthIn = (timeZone: string, ms: number) =>
  new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).format(new Date(ms)).slice(0, 7);
/** Won and closed deals per key (e.g. team and month) among closed deal rows { status, ... }. */
function tallyClosed(rows: Data[], keyOf: (row: Data) => string) {
  const tally = new Map<string, { won: number; closed: number }>();
  for (const row of rows) {
    const t = tally.get(keyOf(row)) ?? { won: 0, closed: 0 };
    t.closed++;
    if (row.status === 'WON') t.won++;
    tally.set(keyOf(row), t);
  }
  return tally;
}

const nodes = (connection: { edges: Array<{ node: Data }> }) => connection.edges.map((e) => e.node);
const ascending = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1] <= x);

const GRAPHQL_CHECKS: Record<string, GraphqlCheck> = {
  BigOpenDeals: {
    check: async ({ deals }, _state, db) => {
      const page = nodes(deals);
      // the same filter and order in SQL: every open deal of 50,000.00 or more, biggest first
      const big = await db.rows(`select d.id, d.amount_cents, t.name as team from deals d join reps r on r.id = d.owner_id
        left join teams t on t.id = r.team_id where d.status = 'OPEN' and d.amount_cents >= 5000000 order by d.amount_cents desc`);
      expect(deals.totalCount).toBe(big.length);
      expect(page.map((d) => cents(d.amount))).toEqual(big.slice(0, 20).map((r) => Number(r.amount_cents)));
      const byId = new Map(big.map((r) => [String(r.id), r]));
      for (const deal of page) expect([cents(deal.amount), deal.owner.team.name]).toEqual([Number(byId.get(deal.id)?.amount_cents), byId.get(deal.id)?.team]);
      expect(page.length).toBeGreaterThan(0);
      expect(page.length).toBeLessThanOrEqual(20);
      expect(deals.totalCount).toBeGreaterThanOrEqual(page.length);
      expect(deals.pageInfo.hasNextPage).toBe(deals.totalCount > 20);
      for (const deal of page) {
        expect(deal.amount).toBeGreaterThanOrEqual(50000);
        expect(deal.stage.name).not.toMatch(/won|lost/i);
        expect(deal.owner.team.name).toEqual(expect.any(String));
      }
      expect(ascending(page.map((d) => -d.amount))).toBe(true);
    },
  },
  DealHistory: {
    check: async ({ deal }, _state, db) => {
      const [row] = await db.rows(`select d.name, d.amount_cents, d.status, s.name as stage from deals d join pipeline_stages s on s.id = d.stage_id where d.id = 42`);
      expect({ name: deal.name, amount: cents(deal.amount), status: deal.status, stage: deal.stage.name }).toEqual({ name: row.name, amount: Number(row.amount_cents), status: row.status, stage: row.stage });
      const changes = await db.rows(`select s.name from deal_stage_changes c join pipeline_stages s on s.id = c.to_stage_id where c.deal_id = 42 order by c.at, c.id`);
      expect(deal.stageHistory.map((h: Data) => h.toStage.name)).toEqual(changes.map((c) => c.name));
      const [{ n }] = await db.rows(`select count(*) as n from activities where deal_id = 42`);
      expect(deal.activities).toHaveLength(Number(n));
      expect(deal.stageHistory.length).toBeGreaterThan(0);
      expect(ascending(deal.stageHistory.map((h: Data) => Date.parse(h.at)))).toBe(true);
      expect(deal.stageHistory.at(-1).toStage.name).toBe(deal.stage.name);
      for (let i = 1; i < deal.stageHistory.length; i++) expect(deal.stageHistory[i].fromStage?.name).toBe(deal.stageHistory[i - 1].toStage.name);
    },
  },
  OpenDeal: {
    check: async ({ stages, deals }, _state, db) => {
      const open = stages.filter((s: Data) => !s.isClosed);
      expect(open.slice(0, 2).map((s: Data) => s.id)).toEqual(['1', '2']); // the README moves from stage "1" to stage "2"
      const [deal] = nodes(deals);
      expect(deal.stage.id).toBe('1');
      expect(deal.version).toBeGreaterThanOrEqual(1);
      // the biggest open deal in stage 1, and its current version
      const [top] = await db.rows(`select max(amount_cents) as amount from deals where status = 'OPEN' and stage_id = 1`);
      const [row] = await db.rows(`select amount_cents, version from deals where id = ?`, [Number(deal.id)]);
      expect([Number(row.amount_cents), Number(row.version)]).toEqual([Number(top.amount), deal.version]);
    },
  },
  MoveDeal: {
    variables: ({ OpenDeal }) => {
      const [deal] = nodes(OpenDeal.deals);
      return { dealId: deal.id, version: deal.version, stageId: '2' };
    },
    check: async ({ moveDealStage }, { OpenDeal }, db) => {
      const [deal] = nodes(OpenDeal.deals);
      expect(moveDealStage).toEqual({ id: deal.id, version: deal.version + 1, stage: { name: OpenDeal.stages[1].name } });
      const [row] = await db.rows(`select stage_id, version from deals where id = ?`, [Number(deal.id)]);
      expect([Number(row.stage_id), Number(row.version)]).toEqual([2, deal.version + 1]);
      const [last] = await db.rows(`select from_stage_id, to_stage_id from deal_stage_changes where deal_id = ? order by at desc, id desc limit 1`, [Number(deal.id)]);
      expect([Number(last.from_stage_id), Number(last.to_stage_id)]).toEqual([1, 2]);
    },
  },
  WinDeal: {
    variables: ({ MoveDeal }) => ({ dealId: MoveDeal.moveDealStage.id, version: MoveDeal.moveDealStage.version }),
    check: async ({ closeDeal }, { MoveDeal, OpenDeal }, db) => {
      const [row] = await db.rows(`select status, closed_at, version from deals where id = ?`, [Number(closeDeal.id)]);
      expect([row.status, readEpochMs(row.closed_at), Number(row.version)]).toEqual(['WON', Date.parse(closeDeal.closedAt), closeDeal.version]);
      expect(closeDeal.id).toBe(MoveDeal.moveDealStage.id);
      expect(closeDeal.version).toBe(MoveDeal.moveDealStage.version + 1);
      expect(closeDeal.status).toBe('WON');
      expect(Date.parse(closeDeal.closedAt)).toBeGreaterThan(Date.now() - 60_000);
      expect(OpenDeal.stages.filter((s: Data) => s.isClosed).map((s: Data) => s.name)).toContain(closeDeal.stage.name);
    },
  },
  QualifiedLead: {
    check: async ({ leads, reps }, _state, db) => {
      expect(nodes(leads)).toHaveLength(1);
      expect(nodes(reps)).toHaveLength(1);
      const [lead] = await db.rows(`select status, version from leads where id = ?`, [Number(nodes(leads)[0].id)]);
      expect([lead.status, Number(lead.version)]).toEqual(['QUALIFIED', nodes(leads)[0].version]);
      const [rep] = await db.rows(`select role, name, active from reps where id = ?`, [Number(nodes(reps)[0].id)]);
      expect([rep.role, rep.name, Boolean(Number(rep.active))]).toEqual(['AE', nodes(reps)[0].name, true]);
    },
  },
  ConvertLead: {
    variables: ({ QualifiedLead }) => {
      const [lead] = nodes(QualifiedLead.leads);
      const [rep] = nodes(QualifiedLead.reps);
      return { leadId: lead.id, version: lead.version, ownerId: rep.id };
    },
    check: async ({ convertLead }, { QualifiedLead }, db) => {
      const [lead] = nodes(QualifiedLead.leads);
      const [rep] = nodes(QualifiedLead.reps);
      expect(convertLead.id).toBe(lead.id);
      expect(convertLead.status).toBe('CONVERTED');
      expect(convertLead.version).toBeGreaterThan(lead.version);
      expect(convertLead.convertedDeal).toMatchObject({ amount: 48000, status: 'OPEN', owner: { id: rep.id, name: rep.name } });
      const [row] = await db.rows(`select l.status, l.converted_deal_id, d.amount_cents, d.owner_id, d.status as deal_status from leads l
        join deals d on d.id = l.converted_deal_id where l.id = ?`, [Number(lead.id)]);
      expect([row.status, String(row.converted_deal_id), Number(row.amount_cents), String(row.owner_id), row.deal_status]).toEqual(['CONVERTED', convertLead.convertedDeal.id, 4_800_000, rep.id, 'OPEN']);
    },
  },
  WinRateByTeamAndMonth: {
    check: async ({ kpi }, _state, db) => {
      // won / (won + lost) of deals closed in each Paris month of Q3, per owner's team, from the rows
      const closed = await db.rows(`select d.status, d.closed_at, t.name as team from deals d join reps r on r.id = d.owner_id
        join teams t on t.id = r.team_id where d.status in ('WON', 'LOST') and d.closed_at >= ? and d.closed_at < ?`,
        [db.at('2026-06-30T22:00:00Z'), db.at('2026-09-30T22:00:00Z')]); // Paris is UTC+2 in summer
      const tally = tallyClosed(closed, (r) => `${r.team} ${monthIn('Europe/Paris', readEpochMs(r.closed_at)!)}`);
      const fromRows = Object.fromEntries(kpi.rows.filter((r: Data) => r.denominator > 0).map((r: Data) => [`${r.groups[0].label} ${r.bucket.key}`, { won: r.numerator, closed: r.denominator }]));
      expect(fromRows).toEqual(Object.fromEntries(tally));
      expect(kpi.definition.unit).toBe('RATIO');
      const teams = new Set(kpi.rows.map((r: Data) => r.groups[0].label));
      expect(teams.size).toBeGreaterThan(1);
      // One row per team and month, each naming its month: the bucket is selected.
      expect(new Set(kpi.rows.map((r: Data) => `${r.groups[0].label} ${r.bucket.key}`)).size).toBe(kpi.rows.length);
      expect(kpi.rows).toHaveLength(teams.size * 3);
      expect(new Set(kpi.rows.map((r: Data) => r.bucket.key))).toEqual(new Set(['2026-07', '2026-08', '2026-09']));
      for (const row of kpi.rows) {
        expect(row.groups.map((g: Data) => g.dimension)).toEqual(['TEAM']);
        if (row.denominator > 0) expect(row.value).toBeCloseTo(row.numerator / row.denominator, 10);
        else expect(row).toMatchObject({ value: null, reason: expect.any(String) });
      }
      expect(kpi.rows.some((r: Data) => r.value !== null)).toBe(true);
    },
  },
  ManagerDashboard: {
    check: async ({ dashboard }, _state, db) => {
      expect(dashboard.kpis).toHaveLength(8);
      // team 1's Q3 (UTC): revenue and win rate of the deals its reps closed, the team's revenue target
      const closed = await db.rows(`select d.status, d.amount_cents from deals d join reps r on r.id = d.owner_id
        where r.team_id = 1 and d.status in ('WON', 'LOST') and d.closed_at >= ? and d.closed_at < ?`, [db.at('2026-07-01T00:00:00Z'), db.at('2026-10-01T00:00:00Z')]);
      const won = closed.filter((d) => d.status === 'WON');
      const tile = (key: string) => dashboard.kpis.find((k: Data) => k.key === key).rows[0];
      expect(cents(tile('revenue').value)).toBe(won.reduce((s, d) => s + Number(d.amount_cents), 0));
      expect(tile('winRate').value).toBeCloseTo(won.length / closed.length, 12);
      const targets = await db.rows(`select value from targets where kpi_key = 'revenue' and scope = 'TEAM' and team_id = 1 and period_start = ?`, [db.at('2026-07-01T00:00:00Z')]);
      expect(targets).toHaveLength(1);
      expect(tile('revenue').target.value).toBe(Number(targets[0].value));
      expect(tile('revenue').target.attainment).toBeCloseTo(tile('revenue').value / Number(targets[0].value), 10);
      for (const k of dashboard.kpis) expect(k.rows.length).toBeGreaterThan(0);
      expect(dashboard.kpis.some((k: Data) => k.rows[0].target !== null)).toBe(true);
    },
  },
  QuarterForecast: {
    check: async ({ forecast }, _state, db) => {
      const t = forecast.total;
      // closed won so far in Q4, the README's own win included
      const [{ won }] = await db.rows(`select sum(amount_cents) as won from deals where status = 'WON' and closed_at >= ? and closed_at < ?`, [db.at('2026-10-01T00:00:00Z'), db.at('2027-01-01T00:00:00Z')]);
      expect(cents(t.closedWon)).toBe(Number(won));
      if (t.quota !== null) expect(t.gapToQuota).toBeCloseTo(t.quota - t.expected, 0);
      const teams = new Set((await db.rows(`select name from teams`)).map((r) => r.name));
      for (const g of forecast.groups) expect(teams.has(g.label) || g.label === 'Unassigned').toBe(true);
      expect(t.p10).toBeLessThanOrEqual(t.p50);
      expect(t.p50).toBeLessThanOrEqual(t.p90);
      expect(t.expected).toBeGreaterThan(t.p10);
      expect(t.expected).toBeLessThan(t.p90);
      expect(t.expected).toBeCloseTo(t.pipeline + t.newBusiness + t.closedWon, -1);
      expect(forecast.groups.length).toBeGreaterThan(1);
      const groupSum = forecast.groups.reduce((a: number, g: Data) => a + g.expected, 0);
      expect(Math.abs(groupSum - t.expected) / t.expected).toBeLessThan(0.01);
    },
  },
  PipelineMovementQ4: {
    check: async ({ pipelineMovement: m }, _state, db) => {
      expect(m.start.count).toBeGreaterThan(0);
      expect(cents(m.start.amount) + m.bars.reduce((s: number, b: Data) => s + b.sign * cents(b.amount), 0)).toBe(cents(m.end.amount));
      const pushed = m.bars.find((b: Data) => b.kind === 'PUSHED_OUT');
      expect(m.bar.deals.totalCount).toBe(pushed.count);
      expect(m.bar.deals.edges.length).toBe(Math.min(10, pushed.count));
      // Pushed out needs a close-date change in the window from inside Q4 to outside it, on a team-2 deal still open
      // at the window's end: at most that many (the seeded world has none, so the bar must be empty there too).
      const [{ n: movedOut }] = await db.rows(
        `select count(distinct c.deal_id) as n from deal_changes c join deals d on d.id = c.deal_id join reps r on r.id = d.owner_id
         where r.team_id = 2 and c.field = 'EXPECTED_CLOSE_DATE' and c.at >= ? and c.at < ?
           and c.old_value >= '2026-10-01' and c.old_value < '2027-01-01' and not (c.new_value >= '2026-10-01' and c.new_value < '2027-01-01')
           and (d.status = 'OPEN' or d.closed_at >= ?)`,
        [db.at('2026-10-01T00:00:00Z'), db.at('2026-11-20T00:00:00Z'), db.at('2026-11-20T00:00:00Z')]);
      expect(pushed.count).toBeLessThanOrEqual(Number(movedOut));
      // each pushed-out deal: owned in team 2, its close date moved out of Q4 inside the window
      const [q4, q1] = [Date.parse('2026-10-01T00:00:00Z'), Date.parse('2027-01-01T00:00:00Z')];
      for (const { node } of m.bar.deals.edges) {
        const [owner] = await db.rows(`select r.team_id from deals d join reps r on r.id = d.owner_id where d.id = ?`, [Number(node.dealId)]);
        expect(Number(owner.team_id)).toBe(2);
        const from = Date.parse(node.closeDateFrom);
        const to = Date.parse(node.closeDateTo);
        expect([from >= q4 && from < q1, to >= q4 && to < q1]).toEqual([true, false]);
        const moves = await db.rows(`select at from deal_changes where deal_id = ? and field = 'EXPECTED_CLOSE_DATE' and at >= ? and at < ?`,
          [Number(node.dealId), db.at('2026-10-01T00:00:00Z'), db.at('2026-11-20T00:00:00Z')]);
        expect(moves.length).toBeGreaterThan(0);
      }
    },
  },
  LeadQueue: {
    check: async ({ leadQueue }, _state, db) => {
      const edges: Data[] = leadQueue.edges;
      const ids = edges.map((e) => Number(e.node.id));
      expect(new Set(ids).size).toBe(20);
      const stored = await db.rows(`select id, status, source from leads where id in (${ids.join(', ')})`);
      const byId = new Map(stored.map((r) => [Number(r.id), r]));
      for (const { node } of edges) expect([node.status, node.source]).toEqual([byId.get(Number(node.id))?.status, byId.get(Number(node.id))?.source]);
      expect(edges).toHaveLength(20);
      expect(ascending(edges.map((e) => -e.score.score))).toBe(true);
      for (const { node, score } of edges) {
        expect(['NEW', 'CONTACTED', 'QUALIFIED']).toContain(node.status);
        expect(score.probability).toBeGreaterThan(0);
        expect(score.probability).toBeLessThan(1);
        expect(score.factors.length).toBeGreaterThan(0);
      }
    },
  },
};

describe('the README', () => {
  it('has GraphQL blocks and CLI lines, each with a check', () => {
    const names = graphqlBlocks().map((b) => b.name);
    expect(names.length).toBeGreaterThanOrEqual(10);
    expect(names.filter((n) => !GRAPHQL_CHECKS[n])).toEqual([]);
    expect(cliLines().filter((line) => !cliCheckFor(line))).toEqual([]);
  });

  it('mentions in its prose only CLI lines it also runs', () => {
    const lines = cliLines();
    expect(inlineCliMentions().filter((span) => !lines.some((line) => line.startsWith(span)))).toEqual([]);
  });
});

describe.each(DATABASES)('README GraphQL blocks on a seeded world, in order (%s)', (kind) => {
  let app: TestApp;
  const state: State = {};
  const db: Db = {
    rows: (sql, params = []) => app.orm.em.getConnection().execute(sql, params),
    at: (iso) => dateValue(kind, new Date(iso)),
  };

  beforeAll(async () => {
    app = await createSeededTestApp(kind, 'standard'); // a copy: the README's mutations write
  }, 180_000);
  afterAll(async () => app?.close());

  it.each(graphqlBlocks().map((b) => [b.name, b.query]))('%s', async (name, query) => {
    const spec = GRAPHQL_CHECKS[name];
    const res = await app.execute(query, spec.variables?.(state));
    expect(res.errors).toBeUndefined();
    await spec.check(res.data as Data, state, db);
    state[name] = res.data as Data;
  });
});

/** What each README CLI line must print (exit code 0 is checked for every line). */
interface CliContext {
  orm: Orm;
  env: Record<string, string>;
}
type CliCheck = (result: CliResult, ctx: CliContext) => void | Promise<void>;

const CLI_CHECKS: Array<[RegExp, CliCheck]> = [
  [/^import --mapping examples\/olist\/mapping\.json$/, ({ stdout }) => {
    expect(stdout).toMatch(/Import committed[\s\S]*leads\s+8000\s+8000\s+0\s+0\s[\s\S]*deals\s+842\s+842\s+0\s+0\s/);
    expect(stdout).toMatch(/lead a deal came from: reads as converted into that deal \(842 rows\)/);
  }],
  [/^import .*--dry-run$/, ({ stdout }) => expect(stdout).toMatch(/Dry run: nothing was written[\s\S]*deals\s+10\s+10\s/)],
  [/^import /, ({ stdout }) => expect(stdout).toMatch(/Import committed[\s\S]*deals\s+10\s+10\s/)],
  [/^--help$/, ({ stdout }) => {
    for (const command of ['migrate', 'seed', 'serve', 'schema', 'migration:create', 'train', 'score', 'import', 'forecast', 'backtest', 'token', 'apikey:create', 'docs']) expect(stdout).toContain(`\n  ${command}`);
  }],
  [/^seed /, async ({ stdout }, { orm }) => {
    expect(stdout).toMatch(/deals\s+20,000/);
    expect(await orm.em.fork().count(Rep, {})).toBe(74);
  }],
  [/^forecast /, ({ stdout }) => {
    expect(stdout).toMatch(/^Forecast 2026-Q4 as of /);
    expect(stdout).toMatch(/\nTotal\s+[\d,]+\s+[\d,]+/);
    for (const team of ['EMEA Mid-Market', 'NA Enterprise', 'APAC']) expect(stdout).toContain(`\n${team} `);
  }],
  [/^backtest /, ({ stdout }) => {
    // One row per quarter with its actual, and the accuracy summary over the 8 periods.
    for (const quarter of ['2024-Q4', '2025-Q1', '2025-Q2', '2025-Q3', '2025-Q4', '2026-Q1', '2026-Q2', '2026-Q3']) expect(stdout).toMatch(new RegExp(`\\n${quarter}\\s+[\\d,]{7,}\\s`));
    expect(stdout).toMatch(/\nrun-rate \(mean of 3 previous\)\s+8\s+[\d.]+%/);
  }],
  [/^train --model lead$/, ({ stdout }) => {
    expect(stdout).toMatch(/LEAD model lead-\d{8}-\d{6}: (logistic|mlp)/);
    expect(stdout).toMatch(/Holdout: AUC 0\.[6-9]/);
    expect(stdout).toContain('Active now.');
  }],
  [/^score$/, ({ stdout }) => {
    expect(stdout).toMatch(/LEAD: scored [1-9]\d* open records .* with model lead-/);
    expect(stdout).toMatch(/DEAL: scored [1-9]\d* open records/);
  }],
  [/^token --role AE --rep 12$/, async ({ stdout }, ctx) => {
    const identity = await identityOf(`Bearer ${stdout.trim()}`, ctx);
    expect(identity).toMatchObject({ role: AccessRole.AE, repId: 12 });
    expect((await ctx.orm.em.fork().findOneOrFail(Rep, { id: 12 })).role).toBe('AE');
  }],
  [/^token --role SDR$/, async ({ stdout }, ctx) => {
    const identity = await identityOf(`Bearer ${stdout.trim()}`, ctx);
    expect(identity.role).toBe(AccessRole.SDR);
    expect((await ctx.orm.em.fork().findOneOrFail(Rep, { id: identity.repId! })).role).toBe('SDR');
  }],
  [/^token --role ADMIN$/, async ({ stdout }, ctx) => expect(await identityOf(`Bearer ${stdout.trim()}`, ctx)).toMatchObject({ role: AccessRole.ADMIN, repId: null })],
  [/^apikey:create /, async ({ stdout }, ctx) => {
    expect(stdout.trim()).toMatch(/^pw_\d+_\S+$/);
    expect(await identityOf(`Bearer ${stdout.trim()}`, ctx)).toMatchObject({ role: AccessRole.MANAGER, repId: 2 });
  }],
  [/^migration:create /, ({ stdout }) => expect(stdout).toBe('No changes: the sqlite database matches the entities.\n')],
  [/^migrate$/, ({ stdout }) => expect(stdout).toContain('Database is up to date.')],
  [/^schema --check$/, ({ stdout }) => expect(stdout).toContain('schema/schema.graphql is current.')],
  [/^docs --check$/, ({ stdout }) => expect(stdout).toContain('docs/kpis.md is current.')],
];

function cliCheckFor(line: string): CliCheck | undefined {
  const args = argsOf(line).join(' ');
  return CLI_CHECKS.find(([pattern]) => pattern.test(args))?.[1];
}

async function identityOf(header: string, { orm, env }: CliContext) {
  return authenticate(header, loadConfig(env).auth, orm.em.fork() as Em);
}

describe('README CLI lines through the real binary, in order (SQLite file)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-readme-'));
  const env = { DATABASE_URL: path.join(dir, 'pipewise.db'), MODELS_DIR: path.join(dir, 'models'), JWT_SECRET: 'readme-test-secret-0123456789abcdef' };
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(cliLines().map((line) => [line]))('%s', async (line) => {
    const result = await runCli(argsOf(line), env, 170_000);
    if (result.code !== 0) throw new Error(`${line} exited ${result.code}:\n${result.stderr}${result.stdout}`);
    // The checks read what the command wrote through their own connection, opened after it exited.
    const orm = await createOrm(parseDatabaseUrl(env.DATABASE_URL));
    try {
      await cliCheckFor(line)!(result, { orm, env });
    } finally {
      await orm.close(true);
    }
  }, 180_000);
});
