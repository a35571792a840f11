import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, parseDatabaseUrl } from '../../src/config';
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

interface GraphqlCheck {
  variables?: (state: State) => Record<string, unknown>;
  check: (data: Data, state: State) => void;
}

const nodes = (connection: { edges: Array<{ node: Data }> }) => connection.edges.map((e) => e.node);
const ascending = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1] <= x);

const GRAPHQL_CHECKS: Record<string, GraphqlCheck> = {
  BigOpenDeals: {
    check: ({ deals }) => {
      const page = nodes(deals);
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
    check: ({ deal }) => {
      expect(deal.stageHistory.length).toBeGreaterThan(0);
      expect(ascending(deal.stageHistory.map((h: Data) => Date.parse(h.at)))).toBe(true);
      expect(deal.stageHistory.at(-1).toStage.name).toBe(deal.stage.name);
      for (let i = 1; i < deal.stageHistory.length; i++) expect(deal.stageHistory[i].fromStage?.name).toBe(deal.stageHistory[i - 1].toStage.name);
    },
  },
  OpenDeal: {
    check: ({ stages, deals }) => {
      const open = stages.filter((s: Data) => !s.isClosed);
      expect(open.slice(0, 2).map((s: Data) => s.id)).toEqual(['1', '2']); // the README moves from stage "1" to stage "2"
      const [deal] = nodes(deals);
      expect(deal.stage.id).toBe('1');
      expect(deal.version).toBeGreaterThanOrEqual(1);
    },
  },
  MoveDeal: {
    variables: ({ OpenDeal }) => {
      const [deal] = nodes(OpenDeal.deals);
      return { dealId: deal.id, version: deal.version, stageId: '2' };
    },
    check: ({ moveDealStage }, { OpenDeal }) => {
      const [deal] = nodes(OpenDeal.deals);
      expect(moveDealStage).toEqual({ id: deal.id, version: deal.version + 1, stage: { name: OpenDeal.stages[1].name } });
    },
  },
  WinDeal: {
    variables: ({ MoveDeal }) => ({ dealId: MoveDeal.moveDealStage.id, version: MoveDeal.moveDealStage.version }),
    check: ({ closeDeal }, { MoveDeal, OpenDeal }) => {
      expect(closeDeal.id).toBe(MoveDeal.moveDealStage.id);
      expect(closeDeal.version).toBe(MoveDeal.moveDealStage.version + 1);
      expect(closeDeal.status).toBe('WON');
      expect(Date.parse(closeDeal.closedAt)).toBeGreaterThan(Date.now() - 60_000);
      expect(OpenDeal.stages.filter((s: Data) => s.isClosed).map((s: Data) => s.name)).toContain(closeDeal.stage.name);
    },
  },
  QualifiedLead: {
    check: ({ leads, reps }) => {
      expect(nodes(leads)).toHaveLength(1);
      expect(nodes(reps)).toHaveLength(1);
    },
  },
  ConvertLead: {
    variables: ({ QualifiedLead }) => {
      const [lead] = nodes(QualifiedLead.leads);
      const [rep] = nodes(QualifiedLead.reps);
      return { leadId: lead.id, version: lead.version, ownerId: rep.id };
    },
    check: ({ convertLead }, { QualifiedLead }) => {
      const [lead] = nodes(QualifiedLead.leads);
      const [rep] = nodes(QualifiedLead.reps);
      expect(convertLead.id).toBe(lead.id);
      expect(convertLead.status).toBe('CONVERTED');
      expect(convertLead.version).toBeGreaterThan(lead.version);
      expect(convertLead.convertedDeal).toMatchObject({ amount: 48000, status: 'OPEN', owner: { id: rep.id, name: rep.name } });
    },
  },
  WinRateByTeamAndMonth: {
    check: ({ kpi }) => {
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
    check: ({ dashboard }) => {
      expect(dashboard.kpis).toHaveLength(8);
      for (const k of dashboard.kpis) expect(k.rows.length).toBeGreaterThan(0);
      expect(dashboard.kpis.some((k: Data) => k.rows[0].target !== null)).toBe(true);
    },
  },
  QuarterForecast: {
    check: ({ forecast }) => {
      const t = forecast.total;
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
    check: ({ pipelineMovement: m }) => {
      const cents = (x: number) => Math.round(x * 100);
      expect(m.start.count).toBeGreaterThan(0);
      expect(cents(m.start.amount) + m.bars.reduce((s: number, b: Data) => s + b.sign * cents(b.amount), 0)).toBe(cents(m.end.amount));
      const pushed = m.bars.find((b: Data) => b.kind === 'PUSHED_OUT');
      expect(m.bar.deals.totalCount).toBe(pushed.count);
      expect(m.bar.deals.edges.length).toBe(Math.min(10, pushed.count));
    },
  },
  LeadQueue: {
    check: ({ leadQueue }) => {
      const edges: Data[] = leadQueue.edges;
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

  beforeAll(async () => {
    app = await createSeededTestApp(kind, 'standard'); // a copy: the README's mutations write
  }, 180_000);
  afterAll(async () => app?.close());

  it.each(graphqlBlocks().map((b) => [b.name, b.query]))('%s', async (name, query) => {
    const spec = GRAPHQL_CHECKS[name];
    const res = await app.execute(query, spec.variables?.(state));
    expect(res.errors).toBeUndefined();
    spec.check(res.data as Data, state);
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
