import { type Command, Option } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { loadConfig } from '../../config';
import { knexOf, readNumber } from '../../db/dialect';
import { createOrm, migrate, type Em } from '../../db/orm';
import { JSON_HELP, oneOf, printOutput, wholeNumber } from '../../shared/cli';
import { createLogger } from '../../shared/logger';
import { expectedCalibrationError } from './metrics';
import { KINDS } from './model-kinds';
import type { ModelMetadata } from './scorer';
import { ModelKind, ModelStatus } from './scoring.entity';
import { startScoring } from './scoring.runtime';
import { createTrainingJob, runTrainingJob } from './scoring.service';

const kindOf = oneOf([ModelKind.LEAD, ModelKind.DEAL]);

async function withRuntime<T>(fn: (runtime: ReturnType<typeof startScoring>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const orm = await createOrm(config.database);
  const runtime = startScoring(orm, config, createLogger({ env: config.env, logLevel: process.env.LOG_LEVEL ?? 'warn' }, 'json'), { sweepMs: 0 });
  try {
    await migrate(orm);
    return await fn(runtime);
  } finally {
    await runtime.stop();
    await orm.close(true);
  }
}

const f = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

export function printSummary(metadata: Omit<ModelMetadata, 'pipeline'> & { pipeline?: unknown }, dir: string, out: (line: string) => void = console.log): void {
  const m = metadata.metrics;
  out(`\n${metadata.kind} model ${metadata.version}: ${metadata.algorithm} (kept by calibrated validation log loss), saved in ${dir}`);
  out(`Data: ${metadata.counts.examples} closed examples (${metadata.counts.positives} positive), ${metadata.dataWindow.from?.slice(0, 10)} .. ${metadata.dataWindow.to?.slice(0, 10)}`);
  if (metadata.counts.agedOut) out(`  of the negatives, ${metadata.counts.agedOut} are open leads older than ${metadata.counts.agedOutAfterDays} days (95th percentile of the days conversions took): counted as not converted`);
  out(`Split (${metadata.split.reason ?? metadata.split.method}): ${metadata.split.train} train / ${metadata.split.validation} validation / ${metadata.split.holdout} holdout${metadata.split.holdoutFrom ? ` (from ${metadata.split.holdoutFrom.slice(0, 10)})` : ''}`);
  for (const c of metadata.candidates) out(`  candidate ${c.type.padEnd(8)} epochs ${c.epochs} (best ${c.bestEpoch}), validation log loss ${f(c.valLogLossCalibrated, 4)} calibrated, AUC ${f(c.valAuc)}`);
  out(`Holdout: AUC ${f(m.auc)}  PR AUC ${f(m.prAuc)}  log loss ${f(m.logLoss, 4)}  Brier ${f(m.brier, 4)}  lift@10% ${f(m.lift10, 2)}  lift@20% ${f(m.lift20, 2)}  ECE ${f(expectedCalibrationError(m.calibration), 4)}`);
  for (const [name, b] of Object.entries(metadata.baselines)) out(`  baseline ${name.padEnd(18)} AUC ${f(b.auc)}  log loss ${f(b.logLoss, 4)}  Brier ${f(b.brier, 4)}  lift@10% ${f(b.lift10, 2)}  ECE ${f(b.calibrationError ?? NaN, 4)}`);
  for (const d of metadata.leakage?.dropped ?? []) out(`LEAKAGE: dropped ${d.label} (${d.reason}): ${d.detail}`);
  out('Calibration (holdout): predicted -> observed (n)');
  for (const bin of m.calibration) out(`  ${f(bin.from, 1)}-${f(bin.to, 1)}: ${f(bin.meanPredicted)} -> ${f(bin.observedRate)} (${bin.count})`);
  out('Top features (mean |contribution| to the log-odds on the holdout):');
  for (const i of metadata.importance.slice(0, 10)) out(`  ${i.label.padEnd(32)} ${f(i.meanAbsContribution)}`);
  if (metadata.leakageWarning) out(`WARNING: ${metadata.leakageWarning}`);
}

export function registerScoringCommands(program: Command): void {
  program
    .command('train')
    .description('train, calibrate and evaluate the lead-conversion or deal-win model, save it under models/ and register it')
    .addOption(new Option('--model <kind>', 'lead or deal').argParser(kindOf).makeOptionMandatory())
    .option('--seed <n>', 'random seed', wholeNumber(42, 1), 42)
    .option('--max-epochs <n>', 'epochs per candidate at most (early stopping usually ends sooner)', wholeNumber(30, 1), 30)
    .option('--max-examples <n>', 'newest closed examples to use at most', wholeNumber(200_000, 1), 200_000)
    .option('--no-activate', 'register the model without making it the active one')
    .option('--json', JSON_HELP)
    .action(async (opts) => {
      await withRuntime(async (runtime) => {
        const em = runtime.em() as Em;
        const job = await createTrainingJob(em, opts.model);
        const bar = new SingleBar({ format: 'training {bar} {percentage}% | {message}', stream: process.stderr, hideCursor: true }, Presets.shades_classic);
        bar.start(100, 0, { message: 'starting' });
        const started = performance.now();
        const row = await runTrainingJob(runtime, job.id, {
          seed: opts.seed,
          maxEpochs: opts.maxEpochs,
          maxExamples: opts.maxExamples,
          activate: opts.activate ? true : false,
          onProgress: (fraction, message) => bar.update(Math.round(fraction * 100), { message }),
        });
        bar.stop();
        if (row.status !== ModelStatus.READY) {
          console.error(`error: ${row.message}`);
          process.exitCode = 1;
          return;
        }
        const seconds = (performance.now() - started) / 1000;
        const dir = `${runtime.registry.modelsDir}/${row.path}`;
        const held = (row.report as { leakage?: { holdActivation?: boolean } } | null)?.leakage?.holdActivation;
        const next = held ? `Not activated: the leakage guard acted; review, then activateModel(version: "${row.version}").` : `Not activated (activateModel(version: "${row.version}")).`;
        printOutput(opts.json, { version: row.version, kind: row.kind, dir, active: Boolean(row.active), leakageHeld: Boolean(held), seconds, report: row.report }, () => {
          const lines: string[] = [];
          printSummary(row.report as never, dir, (line) => lines.push(line));
          return `${lines.join('\n')}\nTrained in ${seconds.toFixed(1)} s. ${row.active ? 'Active now.' : next}`;
        });
      });
    });

  program
    .command('score')
    .description('score every open lead and deal (or one kind) with the active model and store the scores')
    .addOption(new Option('--model <kind>', 'lead or deal (default: both)').argParser(kindOf))
    .option('--json', JSON_HELP)
    .action(async (opts) => {
      await withRuntime(async (runtime) => {
        const kinds: ModelKind[] = opts.model ? [opts.model] : [ModelKind.LEAD, ModelKind.DEAL];
        const results: Array<Awaited<ReturnType<typeof runtime.store.rescoreAll>> & { kind: ModelKind; tiers: Record<string, number>; note: string | null }> = [];
        for (const kind of kinds) {
          const bar = new SingleBar({ format: `${kind.toLowerCase()} scores {value} | {duration}s`, stream: process.stderr, hideCursor: true }, Presets.shades_classic);
          bar.start(0, 0);
          const result = await runtime.store.rescoreAll(kind, (done) => bar.update(done));
          bar.stop();
          const knex = knexOf(runtime.em());
          const rows: Array<{ tier: string; n: unknown }> = await knex(KINDS[kind].scoreTable).groupBy('tier').orderBy('tier').select('tier', knex.raw('count(*) as n'));
          const scorer = await runtime.registry.scorer(kind);
          results.push({ kind, ...result, tiers: Object.fromEntries(rows.map((t) => [t.tier, readNumber(t.n)])), note: scorer.note ?? null });
        }
        printOutput(opts.json, results, () =>
          results
            .map((r) => `${r.kind}: scored ${r.scored} open records in ${r.seconds.toFixed(2)} s with ${r.method === 'MODEL' ? 'model' : 'rules'} ${r.modelVersion}; tiers ${Object.entries(r.tiers).map(([tier, n]) => `${tier}=${n}`).join(' ')}${r.note ? `\n  ${r.note}` : ''}`)
            .join('\n'),
        );
      });
    });
}
