/**
 * The track record on demand: past periods each forecast as of its own start from what was known then, against
 * what closed won, beside the baselines; computed on a worker thread (src/shared/workers/).
 */
import type { Em } from '../../db/orm';
import { toMajor } from '../../graphql/money.scalar';
import { BadInputError } from '../../shared/errors';
import { periodsBetween } from '../../shared/period';
import { type HeavyJob, heavyWorkOf } from '../../shared/workers/pool';
import { factSource } from './fact-cache';
import type { BacktestArgs } from './forecast.inputs';
import { type Accuracy, type ForecastBacktest, BacktestInterval, ForecastMethod, RangeSource } from './forecast.types';
import { accuracy } from './metrics';
import type { ForecastScope } from './scope';

const MAX_BACKTEST_PERIODS = 60;

export async function getBacktest(em: Em, args: Omit<BacktestArgs, 'teamId' | 'repId'> & { scope: ForecastScope; job?: HeavyJob }): Promise<ForecastBacktest> {
  if (!(args.from < args.to)) throw new BadInputError('to', 'to must be after from');
  const now = Date.now();
  const periods = periodsBetween(args.from.getTime(), args.to.getTime(), args.interval === BacktestInterval.MONTH ? 'MONTH' : 'QUARTER');
  if (periods.length > MAX_BACKTEST_PERIODS) throw new BadInputError('from', `at most ${MAX_BACKTEST_PERIODS} periods per backtest; got ${periods.length}`);
  if (periods[periods.length - 1].end > now) throw new BadInputError('to', 'a backtest compares with actuals: every period must be over');
  // Everything up to the end of the last period; each period then only sees what was known at its start.
  // (the app's shared fact source, fact-cache.ts: a forecast of the same data read the same load)
  const spec = { periods, scope: args.scope, options: { simulations: args.simulations, seed: args.seed, topDeals: 0 } };
  const withFacts = async () => ({ ...spec, source: await factSource(em, args.job), factsAsOf: periods[periods.length - 1].end });
  const { rows, served } = await heavyWorkOf(em).run('backtestFromSource', withFacts, args.job);
  const money = (v: number) => toMajor(Math.round(v));
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.served.method, (counts.get(r.served.method) ?? 0) + 1);
  const of = (pick: (r: (typeof rows)[number]) => number | null): Accuracy =>
    accuracy(rows.filter((r) => pick(r) != null).map((r) => ({ forecast: pick(r)!, actual: r.actual })));
  return {
    interval: args.interval,
    periods: rows.map((r) => ({
      period: r.period.label,
      periodStart: new Date(r.period.start),
      actual: toMajor(r.actual),
      expected: money(r.model.expected),
      p10: money(r.model.p10),
      p50: money(r.model.p50),
      p90: money(r.model.p90),
      runRate: r.runRate == null ? null : money(r.runRate),
      fixedWeight: money(r.fixedWeight),
      blend: r.blend == null ? null : money(r.blend),
      dealModel: r.dealModel == null ? null : money(r.dealModel),
      served: {
        method: r.served.method as ForecastMethod,
        expected: money(r.served.expected),
        p10: money(r.served.p10),
        p50: money(r.served.p50),
        p90: money(r.served.p90),
        rangeSource: r.served.rangeSource as RangeSource,
      },
    })),
    served,
    servedMethods: [...counts].map(([method, periods]) => ({ method: method as ForecastMethod, periods })),
    model: accuracy(rows.map((r) => ({ forecast: r.model.expected, actual: r.actual, p10: r.model.p10, p90: r.model.p90 }))),
    runRate: of((r) => r.runRate),
    fixedWeight: of((r) => r.fixedWeight),
    blend: of((r) => r.blend),
    dealModel: of((r) => r.dealModel),
  };
}
