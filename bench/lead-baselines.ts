/**
 * The lead (or deal) model against baselines on the same features and the same split; prints its figures.
 * Trains the project's model (TensorFlow.js), prints its holdout AUC, log loss and calibration error beside
 * the project's logistic baseline, and exports the encoded features of the same split to CSV so that
 * bench/lead-baselines.py can fit scikit-learn's gradient-boosted trees and logistic regression on exactly
 * the same rows and columns (bench only: scikit-learn is never part of the product).
 *
 *   npm run build
 *   node dist/bench/lead-baselines.js olist [out.csv]                 # the Olist funnel, read from the CSVs
 *   node dist/bench/lead-baselines.js olist-leaky [out.csv]           # ... with the closed-deal columns attached
 *   node dist/bench/lead-baselines.js db:<DATABASE_URL> [lead|deal] [out.csv] [--no-guard]
 *   python3 bench/lead-baselines.py out.csv
 */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { parseDatabaseUrl } from '../src/config';
import { createOrm, type Em } from '../src/db/orm';
import { encode } from '../src/modules/scoring/features';
import { ModelKind } from '../src/modules/scoring/scoring.entity';
import { loadExamples, trainSettings } from '../src/modules/scoring/training-data';
import { splitExamples } from '../src/modules/scoring/split';
import { initTensorflow } from '../src/modules/scoring/tf-backend';
import { trainScoringModel } from '../src/modules/scoring/trainer';
import { olistExamples } from './olist-funnel';

async function fromDatabase(url: string, kind: ModelKind) {
  const orm = await createOrm(parseDatabaseUrl(url));
  try {
    const examples = await loadExamples(orm.em.fork() as Em, kind);
    return { examples, settings: trainSettings(kind, examples) };
  } finally {
    await orm.close(true);
  }
}

const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

async function main() {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const guard = !process.argv.includes('--no-guard');
  const [source = 'olist'] = args;
  const kind = args[1] === 'deal' ? ModelKind.DEAL : ModelKind.LEAD;
  const out = args.find((a) => a.endsWith('.csv')) ?? `/tmp/i14/${source.startsWith('db:') ? kind.toLowerCase() : source}-split.csv`;
  const { examples, settings } = source.startsWith('db:') ? await fromDatabase(source.slice(3), kind) : olistExamples(source === 'olist-leaky');
  const backend = await initTensorflow();
  const started = process.cpuUsage();
  const t = performance.now();
  const seed = 42;
  const { info, network } = await trainScoringModel(examples, { ...settings, kind, seed, leakageGuard: guard });
  const cpu = process.cpuUsage(started);
  console.log(`${source} ${kind}: ${info.counts.examples} examples (${info.counts.positives} positive), ${info.pipeline.columns.length} encoded columns, backend ${backend}`);
  console.log(`split ${info.split.reason}: ${info.split.train} / ${info.split.validation} / ${info.split.holdout}`);
  for (const c of info.candidates) console.log(`  candidate ${c.type.padEnd(8)} epochs ${c.epochs} (best ${c.bestEpoch}) validation log loss ${f(c.valLogLossCalibrated, 4)} AUC ${f(c.valAuc)}`);
  const m = info.metrics;
  console.log(`model (${info.algorithm}) holdout: AUC ${f(m.auc)}  log loss ${f(m.logLoss, 4)}  ECE ${f(m.calibrationError, 4)}  Brier ${f(m.brier, 4)}`);
  for (const [name, b] of Object.entries(info.baselines)) console.log(`  baseline ${name.padEnd(16)} AUC ${f(b.auc)}  log loss ${f(b.logLoss, 4)}  ECE ${f(b.calibrationError, 4)}`);
  for (const p of info.leakage.passes) console.log(`  pass: ${p.features} features, holdout AUC ${f(p.holdoutAuc)}${p.dropped ? `, then dropped ${p.dropped}` : ''}`);
  if (info.leakage.message) console.log(`  leakage: ${info.leakage.message}`);
  console.log(`  training ${((performance.now() - t) / 1000).toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU`);
  network.dispose();

  // The same split and the kept model's encoded columns, for scikit-learn.
  const { train, val, test } = splitExamples(examples, seed);
  const rows = [...train.map((e) => ['train', e] as const), ...val.map((e) => ['val', e] as const), ...test.map((e) => ['test', e] as const)];
  const width = info.pipeline.columns.length;
  const x = encode(info.pipeline, rows.map(([, e]) => e.record));
  const lines = [['part', 'label', ...info.pipeline.columns.map((_, c) => `x${c}`)].join(',')];
  rows.forEach(([part, e], r) => lines.push([part, e.label, ...Array.from(x.subarray(r * width, (r + 1) * width), (v) => (v === 0 ? '0' : v.toPrecision(6)))].join(',')));
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${lines.join('\n')}\n`);
  console.log(`  wrote the split (${rows.length} rows x ${width} columns) to ${out}: python3 bench/lead-baselines.py ${out}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
