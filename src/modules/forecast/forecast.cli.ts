/** `pipewise forecast` and `pipewise backtest`: the same service as GraphQL, printed as tables. */
import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../../config';
import { createOrm, migrate, type Em } from '../../db/orm';
import { AppError } from '../../shared/errors';
import { ForecastGroupBy } from './forecast.entity';
import { BacktestInterval, type Accuracy, type Forecast, type ForecastBacktest } from './forecast.types';
import { getBacktest, getForecast, parseScope } from './forecast.service';

const int = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number');
  return n;
};
const date = (value: string) => {
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError('expected a date (YYYY-MM-DD or ISO 8601)');
  return d;
};

export function formatTable(header: string[], rows: Array<Array<string | number | null>>): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (c == null ? '-' : String(c))))];
  const widths = header.map((_, j) => Math.max(...cells.map((r) => r[j].length)));
  const line = (r: string[]) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const money = (v: number | null) => (v == null ? null : Math.round(v).toLocaleString('en-US'));
const pct = (v: number | null) => (v == null ? null : `${(v * 100).toFixed(1)}%`);

export function printForecast(f: Forecast): string {
  const head = `Forecast ${f.period} as of ${f.asOf.toISOString()} (${f.simulations} simulations, seed ${f.seed}; ${f.closedDealsInHistory} closed deals of history)`;
  const rows = [f.total, ...(f.groupBy === ForecastGroupBy.COMPANY ? [] : f.groups)].map((g) => [
    g.label,
    money(g.expected),
    money(g.p10),
    money(g.p50),
    money(g.p90),
    money(g.closedWon),
    money(g.pipeline),
    money(g.newBusiness),
    money(g.quota),
    money(g.gapToQuota),
    g.pipelineCoverage == null ? null : g.pipelineCoverage.toFixed(2),
    money(g.calledAmount),
  ]);
  const table = formatTable(['', 'expected', 'P10', 'P50', 'P90', 'closed won', 'pipeline', 'new business', 'quota', 'gap', 'coverage', 'called'], rows);
  const categories = formatTable(
    ['category', 'deals', 'amount', 'expected', 'deals (rep override)', 'amount (rep override)'],
    f.total.categories.map((c, j) => [c.category, c.deals, money(c.amount), money(c.expected), f.total.categoriesWithOverrides[j].deals, money(f.total.categoriesWithOverrides[j].amount)]),
  );
  const deals = formatTable(
    ['top deals', 'stage', 'amount', 'P(win)', 'P(in period)', 'expected close', 'expected value'],
    f.total.topDeals.map((d) => [d.name, d.stage, money(d.amount), pct(d.winProbability), pct(d.probability), d.expectedCloseDate?.toISOString().slice(0, 10) ?? null, money(d.expectedValue)]),
  );
  const m = f.method;
  const method =
    `Served method: ${m.method} (lowest WAPE over ${m.judgedPeriods} closed period(s)${m.blendWeight != null ? `; blend weight on the pipeline model ${m.blendWeight}` : ''}); ` +
    `range: ${m.rangeSource} from ${m.rangePeriods} past error(s).\n` +
    formatTable(['method', 'periods', 'MAPE', 'WAPE', 'bias'], [
      ...m.candidates.map((r) => [r.method, r.periods, pct(r.mape), pct(r.wape), pct(r.bias)]),
      ['served (replayed)', m.record.periods, pct(m.record.mape), pct(m.record.wape), pct(m.record.bias)],
    ]);
  const warnings = f.warnings.length ? `\nWarnings:\n${f.warnings.map((w) => `- ${w}`).join('\n')}` : '';
  return `${head}\n\n${table}\n\n${method}\n\n${categories}\n\n${deals}\n${warnings}`;
}

export function printBacktest(b: ForecastBacktest): string {
  const rows = b.periods.map((p) => [
    p.period, money(p.actual), p.served.method, money(p.served.expected), money(p.served.p10), money(p.served.p90), p.served.rangeSource,
    money(p.expected), money(p.runRate), money(p.blend), money(p.fixedWeight),
  ]);
  const table = formatTable(['period', 'actual', 'served', 'expected', 'P10', 'P90', 'range', 'pipeline model', 'run-rate', 'blend', 'fixed-weight'], rows);
  const metric = (name: string, m: Accuracy) => [name, m.periods, pct(m.mape), pct(m.wape), pct(m.bias), pct(m.coverage)];
  const summary = formatTable(['method', 'periods', 'MAPE', 'WAPE', 'bias', 'P10-P90 coverage'], [
    metric(`served (${b.servedMethods.map((m) => `${m.method} ${m.periods}`).join(', ')})`, b.served),
    metric('pipeline model (simulated range)', b.model),
    metric('blend', b.blend),
    ...(b.dealModel.periods ? [metric('deal-win model', b.dealModel)] : []),
    metric('run-rate (mean of 3 previous)', b.runRate),
    metric('fixed-weight pipeline', b.fixedWeight),
  ]);
  return `${table}\n\n${summary}`;
}

async function withEm<T>(fn: (em: Em, kind: 'sqlite' | 'postgresql') => Promise<T>): Promise<T> {
  const config = loadConfig();
  const orm = await createOrm(config.database);
  try {
    await migrate(orm);
    return await fn(orm.em.fork() as Em, config.database.kind);
  } finally {
    await orm.close();
  }
}

function reportError(error: unknown): void {
  if (error instanceof AppError) {
    console.error(`${error.message}${error.extensions.field ? ` (${String(error.extensions.field)})` : ''}`);
    process.exitCode = 2;
  } else throw error;
}

export function registerForecastCommands(program: Command): void {
  program
    .command('forecast')
    .description('revenue forecast of a period: expected, P10/P50/P90, pipeline and new-business parts, categories, top deals')
    .requiredOption('--period <period>', 'a month (2026-11), quarter (2026-Q4) or year (2026)')
    .option('--as-of <date>', 'use only what was known then (default: now, which also stores a snapshot)', date)
    .option('--group-by <dimension>', 'company, team, rep or product', 'company')
    .option('--team <id>', 'only this team')
    .option('--rep <id>', 'only this rep')
    .option('--simulations <n>', 'Monte Carlo simulations', int, 10_000)
    .option('--seed <n>', 'random seed', int, 42)
    .option('--json', 'print JSON instead of tables')
    .action(async (opts) => {
      const groupBy = String(opts.groupBy).toUpperCase() as ForecastGroupBy;
      if (!Object.values(ForecastGroupBy).includes(groupBy)) throw new InvalidArgumentError('--group-by must be company, team, rep or product');
      try {
        const f = await withEm((em, kind) =>
          getForecast(em, kind, { period: opts.period, groupBy, asOf: opts.asOf, scope: parseScope(opts.team, opts.rep), simulations: opts.simulations, seed: opts.seed, topDeals: 10 }),
        );
        console.log(opts.json ? JSON.stringify(f, null, 2) : printForecast(f));
      } catch (error) {
        reportError(error);
      }
    });

  program
    .command('backtest')
    .description('track record: each past period forecast as of its start vs the actual, with run-rate and fixed-weight baselines')
    .requiredOption('--from <date>', 'first period: the one containing this date', date)
    .requiredOption('--to <date>', 'exclusive end', date)
    .option('--interval <interval>', 'month or quarter', 'quarter')
    .option('--team <id>', 'only this team')
    .option('--rep <id>', 'only this rep')
    .option('--simulations <n>', 'Monte Carlo simulations per period', int, 2000)
    .option('--seed <n>', 'random seed', int, 42)
    .option('--json', 'print JSON instead of tables')
    .action(async (opts) => {
      const interval = String(opts.interval).toUpperCase() as BacktestInterval;
      if (!Object.values(BacktestInterval).includes(interval)) throw new InvalidArgumentError('--interval must be month or quarter');
      try {
        const b = await withEm((em, kind) =>
          getBacktest(em, kind, { from: opts.from, to: opts.to, interval, scope: parseScope(opts.team, opts.rep), simulations: opts.simulations, seed: opts.seed }),
        );
        console.log(opts.json ? JSON.stringify(b, null, 2) : printBacktest(b));
      } catch (error) {
        reportError(error);
      }
    });
}
