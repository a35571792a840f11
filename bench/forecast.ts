/**
 * Forecast benchmark.
 *
 *   npm run build && node dist/bench/forecast.js [pure] [sqlite] [postgresql] [--backtest-periods 12]
 *
 * 1. pure: 100,000 open deals (plus 200,000 closed ones as history) built in memory, company forecast of a quarter
 *    with 10,000 simulations: model fit, deal outlooks, Monte Carlo, and the whole computeForecast (goal < 2 s); then
 *    the served forecast (the same plus every candidate for the past periods that judge the methods).
 * 2. for each 1M-deal world whose marker /tmp/pipewise-bench/READY-<kind> exists (read-only: as-of forecasts store
 *    no snapshot): the full path of a company forecast (SQL load + compute, 10,000 simulations), and a 12-period
 *    monthly backtest (2,000 simulations per period; goal < 30 s). Env BENCH_SQLITE / BENCH_POSTGRES override the
 *    locations; then the same forecast in parts (a fresh fact load alone, the as-of table derived from it, the compute
 *    on it, the fact source's size), then that forecast after a restart (its facts read from a fact file the load wrote,
 *    src/modules/forecast/fact-file.ts, then the compute); the backtest, stage weights and cycle durations then read the forecast's fact
 *    load (src/modules/forecast/fact-cache.ts: `factLoads`, the loads of this world, stays 1). Prints a JSON line per figure.
 */
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type OpenStage, buildFactTable } from '../src/modules/forecast/facts';
import { computeForecast } from '../src/modules/forecast/engine';
import { computeServedForecast } from '../src/modules/forecast/track-record';
import { buildHistoryModel, dealOutlook, openDeals } from '../src/modules/forecast/model';
import { simulate } from '../src/modules/forecast/monte-carlo';
import { parsePeriod } from '../src/shared/period';
import { syntheticDeals } from './synthetic-deals';

const STAGES: OpenStage[] = [
  { id: 1, name: 'Prospecting', defaultProbability: 0.1 },
  { id: 2, name: 'Qualification', defaultProbability: 0.25 },
  { id: 3, name: 'Discovery/Demo', defaultProbability: 0.5 },
  { id: 4, name: 'Proposal', defaultProbability: 0.75 },
  { id: 5, name: 'Negotiation', defaultProbability: 0.9 },
];

const args = process.argv.slice(2);
const wanted = (name: string) => args.length === 0 || args.includes(name);
const backtestPeriods = Number(args[args.indexOf('--backtest-periods') + 1]) || 12;
const print = (figure: Record<string, unknown>) => console.log(JSON.stringify(figure));
const seconds = (t0: number) => Math.round((performance.now() - t0) / 10) / 100;
/** CPU seconds of this process since `c0` (the machine is shared: wall time depends on the others' load). */
const cpuSeconds = (c0: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(c0);
  return Math.round((c.user + c.system) / 1e4) / 100;
};


function benchPure(): void {
  const period = parsePeriod('2026-Q4')!;
  const asOf = period.start;
  let t0 = performance.now();
  const table = buildFactTable(STAGES, syntheticDeals(200_000, 100_000, asOf));
  const buildSeconds = seconds(t0);
  t0 = performance.now();
  const model = buildHistoryModel(table, asOf);
  const modelSeconds = seconds(t0);
  t0 = performance.now();
  const open = openDeals(table, asOf);
  const outlooks = open.map((i) => dealOutlook(table, model, i, period.start, period.end));
  const outlookSeconds = seconds(t0);
  const probabilities = Float64Array.from(outlooks, (o) => o.probability);
  const amounts = Float64Array.from(open, (i) => table.amount[i]);
  const meanP = probabilities.reduce((s, p) => s + p, 0) / probabilities.length;
  const draws = probabilities.reduce((s, p) => s + Math.min(p, 1 - p), 0) * 10_000;
  t0 = performance.now();
  let c0 = process.cpuUsage();
  simulate({ probabilities, amounts, groups: new Int32Array(open.length), groupCount: 1, simulations: 10_000, seed: 42 });
  const mcSeconds = seconds(t0);
  const mcCpu = cpuSeconds(c0);
  // worst case for the simulation: every deal at p = 0.5 (the most draws per deal)
  t0 = performance.now();
  simulate({ probabilities: new Float64Array(open.length).fill(0.5), amounts, groups: new Int32Array(open.length), groupCount: 1, simulations: 10_000, seed: 42 });
  const mcWorstSeconds = seconds(t0);
  t0 = performance.now();
  c0 = process.cpuUsage();
  const f = computeForecast(table, period, asOf, () => 0, () => true, { simulations: 10_000, seed: 42, topDeals: 10 });
  const totalSeconds = seconds(t0);
  const totalCpu = cpuSeconds(c0);
  // the served forecast adds the track record: every candidate for the 15 previous quarters (no simulation)
  t0 = performance.now();
  c0 = process.cpuUsage();
  const served = computeServedForecast(table, period, asOf, () => 0, () => true, { simulations: 10_000, seed: 42, topDeals: 10 });
  const servedSeconds = seconds(t0);
  const servedCpu = cpuSeconds(c0);
  print({
    figure: 'pure served forecast (method choice + conformal range), same world',
    seconds: servedSeconds,
    cpuSeconds: servedCpu,
    trackRecordPeriods: served.history.length,
    method: served.served.method,
    rangeSource: served.served.rangeSource,
  });
  print({
    figure: 'pure company forecast, 100k open deals x 10k simulations',
    openDeals: open.length,
    closedDeals: model.closedDeals,
    meanProbability: Math.round(meanP * 1000) / 1000,
    simulatedWins: Math.round(draws),
    buildTableSeconds: buildSeconds,
    modelSeconds,
    outlookSeconds,
    monteCarloSeconds: mcSeconds,
    monteCarloCpuSeconds: mcCpu,
    monteCarloWorstCaseSeconds: mcWorstSeconds,
    computeForecastSeconds: totalSeconds,
    computeForecastCpuSeconds: totalCpu,
    approximatedDeals: f.warnings.find((w) => w.includes('normal approximation')) ?? 'none',
    loadAverage: require('node:os').loadavg().map((x: number) => Math.round(x * 10) / 10),
    expected: Math.round(f.total.expected / 100),
    p10: Math.round(f.total.p10 / 100),
    p90: Math.round(f.total.p90 / 100),
  });
}

async function benchDatabase(kind: 'sqlite' | 'postgresql'): Promise<void> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const fs = require('node:fs') as typeof import('node:fs');
  const { createOrm } = require('../src/db/orm') as typeof import('../src/db/orm');
  const { parseDatabaseUrl } = require('../src/config') as typeof import('../src/config');
  const { getForecast } = require('../src/modules/forecast/forecast.service') as typeof import('../src/modules/forecast/forecast.service');
  const { getBacktest } = require('../src/modules/forecast/backtest.service') as typeof import('../src/modules/forecast/backtest.service');
  const { ForecastGroupBy } = require('../src/modules/forecast/forecast.entity') as typeof import('../src/modules/forecast/forecast.entity');
  const { BacktestInterval } = require('../src/modules/forecast/forecast.types') as typeof import('../src/modules/forecast/forecast.types');
  const url = kind === 'sqlite' ? process.env.BENCH_SQLITE || '/tmp/pipewise-bench/1m.db' : process.env.BENCH_POSTGRES || 'postgres://postgres@127.0.0.1:5432/pipewise_bench_1m';
  if (!fs.existsSync(`/tmp/pipewise-bench/READY-${kind}`)) {
    print({ figure: `${kind}: skipped`, reason: `/tmp/pipewise-bench/READY-${kind} does not exist` });
    return;
  }
  const orm = await createOrm(parseDatabaseUrl(url));
  try {
    const em = () => orm.em.fork() as import('../src/db/orm').Em;
    const asOf = new Date('2026-10-01T00:00:00Z');
    // the fact cache is the process's (no app registers a pool here): count this world's loads, not the ones before
    const { factCacheStats } = require('../src/modules/forecast/fact-cache') as typeof import('../src/modules/forecast/fact-cache');
    const loadsBefore = factCacheStats(em()).loads;
    let t0 = performance.now();
    let c0 = process.cpuUsage();
    const f = await getForecast(em(), { period: '2026-Q4', groupBy: ForecastGroupBy.COMPANY, asOf, scope: {}, simulations: 10_000, seed: 42, topDeals: 10 });
    print({ figure: `${kind}: company forecast 2026-Q4 as of 2026-10-01 (SQL load + compute)`, seconds: seconds(t0), cpuSeconds: cpuSeconds(c0), openDeals: f.total.openDeals, closedDeals: f.closedDealsInHistory, expected: f.total.expected, p10: f.total.p10, p90: f.total.p90, factLoads: factCacheStats(em()).loads - loadsBefore, rssMB: Math.round(process.memoryUsage().rss / 1e6) });
    // where the time goes: a fresh fact load alone (the app's shared one is reused above), the as-of table derived
    // from it, then the served forecast's compute on it
    const { loadFactSource } = require('../src/modules/forecast/facts.sql') as typeof import('../src/modules/forecast/facts.sql');
    const { factsAt } = require('../src/modules/forecast/fact-source') as typeof import('../src/modules/forecast/fact-source');
    t0 = performance.now();
    c0 = process.cpuUsage();
    const { FACT_TABLES } = require('../src/modules/forecast/fact-cache') as typeof import('../src/modules/forecast/fact-cache');
    const versioned = await loadFactSource(em(), { versionTables: FACT_TABLES }); // with its versions: the fact file below keeps it
    const { source } = versioned;
    const load = { seconds: seconds(t0), cpuSeconds: cpuSeconds(c0) };
    t0 = performance.now();
    c0 = process.cpuUsage();
    const facts = factsAt(source, asOf.getTime());
    const derive = { seconds: seconds(t0), cpuSeconds: cpuSeconds(c0) };
    t0 = performance.now();
    c0 = process.cpuUsage();
    const quarter = parsePeriod('2026-Q4')!; // one parse: a period records when it was parsed
    const computed = computeServedForecast(facts, quarter, asOf.getTime(), () => 0, () => true, { simulations: 10_000, seed: 42, topDeals: 10 });
    const sourceBytes = [source.table, source.table.revisions!, source].flatMap((o) => Object.values(o)).filter((v) => ArrayBuffer.isView(v)).reduce((n, a) => n + (a as ArrayBufferView).byteLength, 0);
    print({
      figure: `${kind}: the same forecast in parts`,
      sqlLoad: load,
      deriveAsOf: derive,
      compute: { seconds: seconds(t0), cpuSeconds: cpuSeconds(c0) },
      deals: facts.n,
      sourceDeals: source.table.n,
      revisions: source.table.revisions!.n,
      sourceMB: Math.round(sourceBytes / 1e5) / 10,
      sourceMBPerMillionDeals: Math.round((sourceBytes / source.table.n) * 10) / 10,
    });
    // a restarted server: the facts read from the fact file its predecessor wrote (src/modules/forecast/fact-file.ts)
    // instead of the database, then the same compute
    const { readFactFile, writeFactFile } = require('../src/modules/forecast/fact-file') as typeof import('../src/modules/forecast/fact-file');
    const file = path.join(os.tmpdir(), `pipewise-bench-${kind}.forecast-facts`);
    t0 = performance.now();
    await writeFactFile(file, versioned);
    const writeSeconds = seconds(t0);
    t0 = performance.now();
    c0 = process.cpuUsage();
    const restored = (await readFactFile(file))!;
    const read = { seconds: seconds(t0), cpuSeconds: cpuSeconds(c0) };
    t0 = performance.now();
    c0 = process.cpuUsage();
    const again = computeServedForecast(factsAt(restored.source, asOf.getTime()), quarter, asOf.getTime(), () => 0, () => true, { simulations: 10_000, seed: 42, topDeals: 10 });
    const compute = { seconds: seconds(t0), cpuSeconds: cpuSeconds(c0) };
    print({
      figure: `${kind}: the same forecast after a restart (facts from the fact file, then the compute)`,
      seconds: Math.round((read.seconds + compute.seconds) * 100) / 100,
      cpuSeconds: Math.round((read.cpuSeconds + compute.cpuSeconds) * 100) / 100,
      fileRead: read,
      compute,
      fileMB: Math.round(fs.statSync(file).size / 1e5) / 10,
      fileWriteSeconds: writeSeconds,
      sameAsFromTheDatabase: JSON.stringify(again) === JSON.stringify(computed),
    });
    fs.rmSync(file, { force: true });
    const { getCycleDurations, getStageWeights } = require('../src/modules/forecast/history.service') as typeof import('../src/modules/forecast/history.service');
    t0 = performance.now();
    c0 = process.cpuUsage();
    const from = new Date(Date.UTC(2026, 9 - backtestPeriods, 1));
    const b = await getBacktest(em(), { from, to: asOf, interval: BacktestInterval.MONTH, scope: {}, simulations: 2000, seed: 42 });
    print({
      figure: `${kind}: ${b.periods.length}-period monthly backtest (2,000 simulations per period), on the forecast's fact load`,
      seconds: seconds(t0),
      cpuSeconds: cpuSeconds(c0),
      factLoads: factCacheStats(em()).loads - loadsBefore,
      loadAverage: require('node:os').loadavg().map((x: number) => Math.round(x * 10) / 10),
      served: b.served,
      servedMethods: b.servedMethods,
      model: b.model,
      runRate: b.runRate,
      fixedWeight: b.fixedWeight,
      rssMB: Math.round(process.memoryUsage().rss / 1e6),
    });
    t0 = performance.now();
    c0 = process.cpuUsage();
    const weights = await getStageWeights(em(), undefined, asOf);
    const cycles = await getCycleDurations(em(), undefined, asOf);
    print({
      figure: `${kind}: stage weights and cycle durations as of 2026-10-01, on the same load`,
      seconds: seconds(t0),
      cpuSeconds: cpuSeconds(c0),
      factLoads: factCacheStats(em()).loads - loadsBefore,
      weights: weights.stages.map((w) => (w.weight == null ? null : Math.round(w.weight * 1000) / 1000)),
      medianDays: cycles.map((c) => c.medianDays),
    });
  } finally {
    await orm.close();
  }
}

async function main(): Promise<void> {
  if (wanted('pure')) benchPure();
  for (const kind of ['sqlite', 'postgresql'] as const) if (wanted(kind)) await benchDatabase(kind);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
