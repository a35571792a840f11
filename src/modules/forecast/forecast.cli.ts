/** `pipewise forecast` and `pipewise backtest`: the same service as GraphQL, printed as tables. */
import type { Command } from 'commander';
import { loadConfig } from '../../config';
import { createOrm, migrate, type Em } from '../../db/orm';
import { JSON_HELP, UsageError, dateOrInstant, formatTable, idValue, oneOf, printOutput, wholeNumber } from '../../shared/cli';
import { Deal } from '../deal/deal.entity';
import { Rep } from '../rep/rep.entity';
import { Team } from '../team/team.entity';
import { ForecastGroupBy } from './forecast.entity';
import { BacktestInterval, type Accuracy, type Forecast, type ForecastBacktest } from './forecast.types';
import { getBacktest } from './backtest.service';
import { getForecast, parseScope } from './forecast.service';

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
    p.period, money(p.actual), money(p.served.expected), money(p.served.p10), money(p.served.p90), p.served.method, p.served.rangeSource,
    money(p.expected), money(p.runRate), money(p.blend), money(p.fixedWeight),
  ]);
  const table = formatTable(['period', 'actual', 'served', 'P10', 'P90', 'method', 'range', 'pipeline model', 'run-rate', 'blend', 'fixed-weight'], rows);
  const metric = (name: string, m: Accuracy) => [name, m.periods, pct(m.mape), pct(m.wape), pct(m.bias), pct(m.coverage)];
  const summary = formatTable(['method', 'periods', 'MAPE', 'WAPE', 'bias', 'P10-P90 coverage'], [
    metric(`served (${b.servedMethods.map((m) => `${m.method} ${m.periods}`).join(', ')})`, b.served),
    metric('model', b.model),
    metric('blend', b.blend),
    ...(b.dealModel.periods ? [metric('deal-win model', b.dealModel)] : []),
    metric('run-rate (mean of 3 previous)', b.runRate),
    metric('fixed-weight pipeline', b.fixedWeight),
  ]);
  return `${table}\n\n${summary}\n(served: the forecast as served, method and range chosen on earlier periods only; model: the pipeline model with its simulated range)`;
}

async function withEm<T>(fn: (em: Em) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const orm = await createOrm(config.database);
  try {
    await migrate(orm);
    return await fn(orm.em.fork() as Em);
  } finally {
    await orm.close();
  }
}

/** `--team 999` or `--rep 99999` is a usage error, not a forecast of nothing. */
async function scopeOrFail(em: Em, team?: string, rep?: string) {
  if (team && !(await em.findOne(Team, { id: Number(team) }))) throw new UsageError(`--team ${team}: no such team (ids as the teams query lists them, e.g. --team 1)`);
  if (rep && !(await em.findOne(Rep, { id: Number(rep) }))) throw new UsageError(`--rep ${rep}: no such rep (ids as the reps query lists them, e.g. --rep 12)`);
  return parseScope(team, rep);
}

/** The options `forecast` and `backtest` share, in this order: scope, the Monte Carlo run, the output. */
function withRunOptions(command: Command, simulations: number, simulationsHelp: string): Command {
  return command
    .option('--team <id>', 'only this team', idValue)
    .option('--rep <id>', 'only this rep', idValue)
    .option('--simulations <n>', simulationsHelp, wholeNumber(simulations, 1), simulations)
    .option('--seed <n>', 'random seed', wholeNumber(42), 42)
    .option('--json', JSON_HELP);
}

export function registerForecastCommands(program: Command): void {
  const forecast = program
    .command('forecast')
    .description('revenue forecast of a period: expected, P10/P50/P90, pipeline and new-business parts, categories, top deals')
    .requiredOption('--period <period>', 'a month (2026-11), quarter (2026-Q4) or year (2026)')
    .option('--as-of <date>', 'use only what was known then (default: now; reading a forecast stores nothing, snapshots are scheduled)', dateOrInstant)
    .option('--group-by <dimension>', 'company, team, rep or product', oneOf(Object.values(ForecastGroupBy)), ForecastGroupBy.COMPANY);
  withRunOptions(forecast, 10_000, 'Monte Carlo simulations')
    .action(async (opts) => {
      const f = await withEm(async (em) =>
        getForecast(em, { period: opts.period, groupBy: opts.groupBy, asOf: opts.asOf, scope: await scopeOrFail(em, opts.team, opts.rep), simulations: opts.simulations, seed: opts.seed, topDeals: 10 }),
      );
      printOutput(opts.json, f, () => printForecast(f));
    });

  const backtest = program
    .command('backtest')
    .description('track record: each past period forecast as of its start vs the actual, with run-rate and fixed-weight baselines')
    .requiredOption('--from <date>', 'first period: the one containing this date, e.g. 2024-10-01', dateOrInstant)
    .requiredOption('--to <date>', 'exclusive end, e.g. 2026-10-01', dateOrInstant)
    .option('--interval <interval>', 'month or quarter', oneOf(Object.values(BacktestInterval)), BacktestInterval.QUARTER);
  withRunOptions(backtest, 2000, 'Monte Carlo simulations per period')
    .action(async (opts) => {
      const b = await withEm(async (em) => {
        const scope = await scopeOrFail(em, opts.team, opts.rep);
        // A period before the first deal would be "forecast" as zeros against zero actuals: refuse it.
        const first = await em.findOne(Deal, { id: { $gt: 0 } }, { orderBy: { createdAt: 'asc' }, fields: ['createdAt'] });
        if (!first) throw new UsageError('there is no deal history to backtest against: seed (pipewise seed) or import one first');
        if (opts.from < first.createdAt) {
          const from = first.createdAt.toISOString().slice(0, 10);
          throw new UsageError(`--from ${opts.from.toISOString().slice(0, 10)} is before the history starts (first deal ${from}): e.g. --from ${nextQuarterStart(first.createdAt)}`);
        }
        return getBacktest(em, { from: opts.from, to: opts.to, interval: opts.interval, scope, simulations: opts.simulations, seed: opts.seed });
      });
      printOutput(opts.json, b, () => printBacktest(b));
    });
}

/** The first quarter start after `date` (YYYY-MM-DD): a backtest start that the history covers. */
function nextQuarterStart(date: Date): string {
  const month = Math.floor(date.getUTCMonth() / 3) * 3 + 3;
  return new Date(Date.UTC(date.getUTCFullYear(), month, 1)).toISOString().slice(0, 10);
}
