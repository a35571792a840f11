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
import { parse } from 'csv-parse/sync';
import { parseDatabaseUrl } from '../src/config';
import { createOrm, type Em } from '../src/db/orm';
import { LEAD_LABELS, labelsFor, leadDateParts } from '../src/modules/scoring/dataset';
import { encode } from '../src/modules/scoring/features';
import { ModelKind } from '../src/modules/scoring/scoring.entity';
import { loadExamples, trainSettings } from '../src/modules/scoring/scoring.service';
import { splitExamples } from '../src/modules/scoring/split';
import { initTensorflow } from '../src/modules/scoring/tf-backend';
import { trainScoringModel, type Example, type TrainSettings } from '../src/modules/scoring/trainer';

const OLIST = path.resolve(__dirname, '../../../shared/data/olist-marketing-funnel');
const OLIST_FALLBACK = path.resolve(process.cwd(), '../shared/data/olist-marketing-funnel');
const CLOSED_DEAL_COLUMNS = ['business_segment', 'lead_type', 'lead_behaviour_profile', 'has_company', 'has_gtin', 'average_stock', 'business_type', 'declared_product_catalog_size', 'declared_monthly_revenue'];

/** Day-first dates of the Olist copy: "01-02-2018" or "26-02-2018 19:58" (UTC). */
const dayFirst = (text: string) => {
  const m = /^(\d{2})-(\d{2})-(\d{4})(?: (\d{2}):(\d{2}))?/.exec(text.trim());
  if (!m) throw new Error(`not a day-first date: ${text}`);
  return Date.UTC(Number(m[3]), Number(m[2]) - 1, Number(m[1]), Number(m[4] ?? 0), Number(m[5] ?? 0));
};

/** The Olist funnel read straight from its CSVs, described with the keys the product's lead loader uses. */
function olistExamples(leaky: boolean): { examples: Example[]; settings: Omit<TrainSettings, 'kind'> } {
  const dir = fs.existsSync(OLIST) ? OLIST : OLIST_FALLBACK;
  const read = (file: string) => parse(fs.readFileSync(path.join(dir, file)), { columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
  const leads = read('olist_marketing_qualified_leads_dataset.csv');
  const won = new Map(read('olist_closed_deals_dataset.csv').map((r) => [r.mql_id, r]));
  const examples = leads.map((l, i): Example => {
    const at = dayFirst(l.first_contact_date);
    const deal = won.get(l.mql_id);
    const record: Example['record'] = { source: l.origin || null, 'attr.landing_page_id': l.landing_page_id, ...leadDateParts(at) };
    if (leaky && deal) for (const c of CLOSED_DEAL_COLUMNS) record[`attr.${c}`] = deal[c] === '' ? null : deal[c];
    return { id: i + 1, record, label: deal ? 1 : 0, at };
  });
  const keys = ['source', 'created.month', 'created.weekday', 'attr.landing_page_id', ...(leaky ? CLOSED_DEAL_COLUMNS.map((c) => `attr.${c}`) : [])];
  return { examples, settings: { keys, labels: labelsFor(keys, LEAD_LABELS), baselineKey: 'source' } };
}

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
