/**
 * Forecast backtest on a world's full history and on what a CRM snapshot export of it keeps (bench/snapshot-facts.ts),
 * side by side: served method, WAPE, MAPE, bias and P10–P90 coverage against the pipeline model, the run-rate, the
 * blend and the fixed-weight baseline.
 *
 *   npm run build && DATABASE_URL=sqlite:///tmp/w.db node dist/bench/forecast-snapshot.js \
 *     --exported-at 2026-11-23 --from 2024-11-01 --to 2026-11-01 --interval month [--simulations 2000]
 */
import { loadConfig } from '../src/config';
import { createOrm, migrate, type Em } from '../src/db/orm';
import { loadFacts } from '../src/modules/forecast/forecast.loader';
import type { FactTable } from '../src/modules/forecast/facts';
import { accuracy, type AccuracyMetrics } from '../src/modules/forecast/metrics';
import { periodsBetween } from '../src/modules/forecast/period';
import { runBacktest } from '../src/modules/forecast/track-record';
import { snapshotFacts } from './snapshot-facts';

const args = process.argv.slice(2);
const arg = (name: string, fallback?: string) => {
  const j = args.indexOf(`--${name}`);
  if (j >= 0 && args[j + 1]) return args[j + 1];
  if (fallback == null) throw new Error(`--${name} is required`);
  return fallback;
};

function figures(t: FactTable, from: number, to: number, kind: 'MONTH' | 'QUARTER', simulations: number) {
  const periods = periodsBetween(from, to, kind);
  const { rows, served } = runBacktest(t, periods, { simulations, seed: 42, topDeals: 0 });
  const of = (pick: (r: (typeof rows)[number]) => number | null) => accuracy(rows.filter((r) => pick(r) != null).map((r) => ({ forecast: pick(r)!, actual: r.actual })));
  const methods: Record<string, number> = {};
  for (const r of rows) methods[r.served.method] = (methods[r.served.method] ?? 0) + 1;
  return {
    methods,
    served,
    pipeline: accuracy(rows.map((r) => ({ forecast: r.model.expected, actual: r.actual, p10: r.model.p10, p90: r.model.p90 }))),
    runRate: of((r) => r.runRate),
    blend: of((r) => r.blend),
    fixedWeight: of((r) => r.fixedWeight),
  };
}

const pct = (x: number | null) => (x == null ? '-' : `${(100 * x).toFixed(1)}%`);

async function main() {
  const exportedAt = new Date(arg('exported-at'));
  const from = Date.parse(arg('from'));
  const to = Date.parse(arg('to'));
  const kind = arg('interval', 'month').toUpperCase() === 'QUARTER' ? 'QUARTER' : 'MONTH';
  const simulations = Number(arg('simulations', '2000'));
  const config = loadConfig();
  const orm = await createOrm(config.database);
  try {
    await migrate(orm);
    const full = await loadFacts(orm.em.fork() as Em, config.database.kind, exportedAt);
    const snapshot = snapshotFacts(full, exportedAt.getTime());
    const results = { full: figures(full, from, to, kind, simulations), snapshot: figures(snapshot, from, to, kind, simulations) };
    console.log(JSON.stringify({ exportedAt, interval: kind, ...results }));
    const line = (world: string, name: string, m: AccuracyMetrics) =>
      [world, name, String(m.periods), pct(m.mape), pct(m.wape), pct(m.bias), pct(m.coverage)].map((c, j) => (j < 2 ? c.padEnd(j ? 34 : 9) : c.padStart(8))).join(' ');
    for (const [world, r] of Object.entries(results)) {
      const served = `served (${Object.entries(r.methods).map(([m, n]) => `${m} ${n}`).join(', ')})`;
      console.log(line(world, served, r.served));
      console.log(line(world, 'pipeline model (simulated range)', r.pipeline));
      console.log(line(world, 'blend', r.blend));
      console.log(line(world, 'run-rate', r.runRate));
      console.log(line(world, 'fixed weights', r.fixedWeight));
    }
  } finally {
    await orm.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
