import type { MikroORM } from '@mikro-orm/core';
import { SingleBar, Presets } from 'cli-progress';
import type { Em } from '../src/db/orm';
import { ensureDefaultPipeline } from '../src/modules/pipeline/stage.service';
import { DEFAULT_STAGES } from '../src/modules/pipeline/stage.entity';
import { roughOverallConversion } from './lead-sampler';
import { Rng } from './random';
import { openSink, type Sink } from './sink';
import { DAY, StoryWriter, Tallies, newStoryBuffers, type StoryBuffers } from './story';
import { BULK_TABLES, SEEDED_TABLES } from './tables';
import { analyzeWritten } from '../src/db/analyze';
import { WORLD_TRUTH } from './truth';
import { buildWorld } from './world';
import { writeSpend, writeTargets } from './plans';
import { writeSeedDealChanges } from './history';

export * from './truth';
export { channelConversion, overallConversion } from './lead-sampler';

export interface SeedOptions {
  seed: number;
  /** Deals to create (leads, accounts, reps and orders scale from it). */
  deals: number;
  /** Average activities per deal, lead activities included (default `WORLD_TRUTH.activities.defaultPerDeal`). */
  activitiesPerDeal?: number;
  /** Last instant of the history (default: today, UTC midnight). Events after it have not happened yet. */
  end?: Date;
  /** Delete the existing rows of the seeded tables first. */
  reset?: boolean;
  /** Progress bar on stderr. */
  progress?: boolean;
  logger?: { info(...args: unknown[]): void };
}

export interface SeedReport {
  seed: number;
  end: string;
  counts: Record<string, number>;
  /** Wall-clock seconds per phase. */
  seconds: Record<string, number>;
  totalSeconds: number;
}

export class SeedRefusedError extends Error {}

/** Tables whose rows are a company's data: any row in one of them and the database is not empty (never seeded over). */
const SALES_TABLES = ['deals', 'leads', 'accounts', 'reps', 'teams', 'products', 'activities'];

/**
 * True when the database holds any sales data (imported leads without deals included). The one definition both
 * the seeder's refusal and the server's "seed an empty database at start" use, so they cannot disagree.
 */
export async function holdsSalesData(em: Em): Promise<boolean> {
  const [row] = await em.getConnection().execute<Array<{ n: number | string }>>(
    `select ${SALES_TABLES.map((t) => `(select count(*) from (select 1 from ${t} limit 1) ${t}_any)`).join(' + ')} as n`,
  );
  return Number(row.n) > 0;
}

const FLUSH_DEALS = 2_000;

/** Generates the deterministic demo world: same seed and options give byte-identical rows. */
export async function seedDemoWorld(orm: MikroORM, options: SeedOptions): Promise<SeedReport> {
  if (!Number.isInteger(options.deals) || options.deals < 1) throw new RangeError('deals must be a positive integer');
  if (!Number.isInteger(options.seed)) throw new RangeError('seed must be an integer');
  const end = resolveEnd(options.end);
  const activitiesPerDeal = options.activitiesPerDeal ?? WORLD_TRUTH.activities.defaultPerDeal;
  const seconds: Record<string, number> = {};
  const started = performance.now();
  let phaseStart = started;
  const phase = (name: string) => {
    const now = performance.now();
    seconds[name] = Math.round(now - phaseStart) / 1000;
    phaseStart = now;
    options.logger?.info({ phase: name, seconds: seconds[name] }, `seed: ${name} done`);
  };

  const em = orm.em.fork() as unknown as Em;
  if (await holdsSalesData(em)) {
    if (!options.reset) {
      throw new SeedRefusedError('the database already holds sales data: seed an empty database, or pass reset (--reset) to delete it first');
    }
    await resetTables(orm);
  }
  phase('reset');

  const stages = await ensureDefaultPipeline(em);
  const stageIds = DEFAULT_STAGES.map((d) => {
    const stage = stages.find((s) => s.name === d.name);
    if (!stage) throw new Error(`pipeline stage "${d.name}" is missing: the demo world needs the default pipeline (reset first)`);
    return stage.id;
  });

  const rng = new Rng(options.seed);
  const start = end - WORLD_TRUTH.historyDays * DAY;
  const sink = await openSink(orm);
  const bar = options.progress ? new SingleBar({ format: 'seeding {bar} {value}/{total} deals | {eta_formatted} left', stream: process.stderr }, Presets.shades_classic) : null;
  try {
    await sink.begin();
    await sink.deferIndexes(BULK_TABLES);
    const world = await buildWorld(rng, sink, options.deals, start, end);
    phase('organisation');

    const buffers = newStoryBuffers();
    const tallies = new Tallies();
    const expectedLeadsPerDeal = 1 / roughOverallConversion();
    const story = new StoryWriter(rng, world, stageIds, buffers, tallies, activitiesPerDeal, expectedLeadsPerDeal, sink.checksForeignKeys);
    const flush = async () => {
      for (const buffer of [buffers.leads, buffers.deals, buffers.stageChanges, buffers.activities, buffers.orders]) await sink.write(buffer);
    };

    // Deal slots spread over the history with exponential growth; then a tail after `end` so that leads created
    // in the last weeks that will convert later are present (open) like in a real CRM.
    const g = Math.log(1 + WORLD_TRUTH.yearlyGrowth) / 365;
    const span = WORLD_TRUTH.historyDays;
    const scale = Math.exp(g * span) - 1;
    const slotTime = (u: number) => start + (Math.log(1 + u * scale) / g) * DAY;
    const n = options.deals;
    bar?.start(n, 0);
    for (let i = 0; i < n; i++) {
      story.slot(weekday(slotTime((i + rng.float()) / n), end), false);
      if (buffers.deals.length >= FLUSH_DEALS) {
        await flush();
        bar?.update(i + 1);
      }
    }
    const tailDays = 30;
    const densityAtEnd = (g * Math.exp(g * span)) / scale; // slots per day per slot at `end`
    const tail = Math.round(n * densityAtEnd * tailDays);
    for (let k = 0; k < tail; k++) story.slot(end + ((k + rng.float()) / tail) * tailDays * DAY, true);
    await flush();
    bar?.update(n);
    bar?.stop();
    phase('deals');

    const spend = await writeSpend(sink, rng, world, tallies);
    const targets = await writeTargets(sink, rng, world, tallies);
    phase('spendAndTargets');

    if (sink.checksForeignKeys) {
      // Rows were checked one by one: the lead -> deal link (a cycle) is set now that every deal exists.
      await sink.exec(`update leads set converted_deal_id = d.id from deals d where d.source_lead_id = leads.id`);
    }
    if (sink.kind === 'postgresql') {
      for (const table of SEEDED_TABLES) {
        await sink.exec(`select setval(pg_get_serial_sequence('${table}', 'id'), coalesce((select max(id) from "${table}"), 0) + 1, false)`);
      }
    }
    phase('links');
    const dealChanges = await writeSeedDealChanges(sink, stageIds);
    phase('dealChanges');
    await sink.finish();
    phase('indexes');
    await analyzeWritten(em, sink.kind, SEEDED_TABLES); // PostgreSQL plans from statistics: give it the new ones
    phase('analyze');

    const c = story.counts;
    const counts = {
      teams: world.teams.length,
      reps: world.reps.length,
      products: world.products.length,
      accounts: world.accountSegment.length - 1,
      pipelineStages: stageIds.length,
      leads: c.leads,
      deals: c.deals,
      dealStageChanges: c.stageChanges,
      dealChanges,
      activities: c.activities,
      orders: c.orders,
      spend,
      targets,
    };
    const report: SeedReport = {
      seed: options.seed,
      end: new Date(end).toISOString(),
      counts,
      seconds,
      totalSeconds: Math.round(performance.now() - started) / 1000,
    };
    options.logger?.info({ report }, 'seed: done');
    return report;
  } catch (error) {
    bar?.stop();
    await sink.abort();
    throw error;
  }
}

function resolveEnd(end: Date | undefined): number {
  const t = end ? end.getTime() : Math.floor(Date.now() / DAY) * DAY;
  if (!Number.isFinite(t)) throw new RangeError('end must be a valid date');
  return t;
}

/** Accepts every write and keeps nothing: replays the world's first draws without a database. */
const NULL_SINK: Sink = {
  kind: 'sqlite',
  checksForeignKeys: false,
  begin: async () => undefined,
  deferIndexes: async () => undefined,
  write: async (buffer) => buffer.clear(),
  exec: async () => [],
  finish: async () => undefined,
  abort: async () => undefined,
};

export interface RepTruth {
  id: number;
  role: 'SDR' | 'AE' | 'MANAGER' | 'EXEC';
  /** Multiplies the odds of advancing at every stage by skill ^ dealWinDrivers.skillPerStage, and speed by skill ^ skillSpeedElasticity. */
  skill: number;
  teamId: number | null;
}

/**
 * The hidden skill of every rep in the world `seedDemoWorld` writes for the same seed, deals and end (rep ids as
 * written): the truth behind rep effects, which the database does not store.
 */
export async function repSkills(options: Pick<SeedOptions, 'seed' | 'deals' | 'end'>): Promise<RepTruth[]> {
  const end = resolveEnd(options.end);
  const world = await buildWorld(new Rng(options.seed), NULL_SINK, options.deals, end - WORLD_TRUTH.historyDays * DAY, end);
  return world.reps.map((r) => ({ id: r.id, role: r.role, skill: r.skill, teamId: r.team >= 0 ? world.teams[r.team].id : null }));
}

/** Moves a Saturday opening to Friday and a Sunday one to Monday (unless that passes `end`). */
function weekday(t: number, end: number): number {
  const day = new Date(t).getUTCDay();
  if (day === 6) return t - DAY;
  if (day === 0) return t + DAY <= end ? t + DAY : t - 2 * DAY;
  return t;
}

async function resetTables(orm: MikroORM): Promise<void> {
  const sink: Sink = await openSink(orm);
  try {
    if (sink.kind === 'postgresql') {
      await sink.begin();
      await sink.exec(`truncate ${SEEDED_TABLES.map((t) => `"${t}"`).join(', ')} restart identity cascade`);
    } else {
      await sink.begin();
      for (const table of SEEDED_TABLES) await sink.exec(`delete from "${table}"`);
      await sink.exec(`delete from sqlite_sequence where name in (${SEEDED_TABLES.map(() => '?').join(',')})`, [...SEEDED_TABLES]);
    }
    await sink.finish();
  } catch (error) {
    await sink.abort();
    throw error;
  }
}

export type { StoryBuffers };
