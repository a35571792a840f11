/**
 * Scoring benchmarks; prints its figures.
 *   train    training the lead model on 100,000 closed leads (loading, training both candidates, calibration,
 *            evaluation), from a seeded world of ~100,000 leads (seed 42, 34,000 deals; created on first use)
 *   batch    scoring 100,000 leads in memory (encode + predict + calibrate), with and without explanations
 *   queue    leadQueue page of 50 (full GraphQL pipeline) on a copy of the 1M-deal world (~2M leads) on SQLite
 *            (/tmp/pipewise-bench/1m.db) and PostgreSQL (database pipewise_bench_1m), after scoring every open lead
 *
 *   npm run build && node dist/bench/scoring.js [train,batch,queue-sqlite,queue-pg]   (default: all)
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import knexFactory from 'knex';
import { createApp } from '../src/app';
import { loadConfig, parseDatabaseUrl } from '../src/config';
import { createOrm, migrate, type Em } from '../src/db/orm';
import { ModelKind } from '../src/modules/scoring/scoring.entity';
import { ModelScorer } from '../src/modules/scoring/scorer';
import { loadExamples, trainSettings } from '../src/modules/scoring/training-data';
import { initTensorflow } from '../src/modules/scoring/tf-backend';
import { trainScoringModel, type Example } from '../src/modules/scoring/trainer';
import { seedDemoWorld } from '../seeds';

const DIR = '/tmp/pipewise-bench-scoring';
const WORLD_100K = path.join(DIR, '100k-leads.db');
const SHARED_1M = '/tmp/pipewise-bench/1m.db';
const PG = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const silent = pino({ level: 'silent' });

const sec = (ms: number) => (ms / 1000).toFixed(2);
const load = () => os.loadavg()[0].toFixed(1);
const percentile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)];

async function hundredThousandLeads(): Promise<Example[]> {
  fs.mkdirSync(DIR, { recursive: true });
  const db = parseDatabaseUrl(WORLD_100K);
  const orm = await createOrm(db);
  try {
    await migrate(orm);
    const leads = await orm.em.fork().getConnection().execute('select count(*) as n from leads');
    if (Number(leads[0].n) === 0) {
      const t = performance.now();
      await seedDemoWorld(orm, { seed: 42, deals: 34_000, end: new Date('2026-11-23T00:00:00Z') });
      console.log(`seeded ${WORLD_100K} (seed 42, 34,000 deals) in ${sec(performance.now() - t)} s`);
    }
    const t = performance.now();
    const examples = await loadExamples(orm.em.fork() as Em, ModelKind.LEAD, 100_000);
    console.log(`loaded ${examples.length} closed leads with their features in ${sec(performance.now() - t)} s`);
    return examples;
  } finally {
    await orm.close(true);
  }
}

async function benchTrain(examples: Example[]) {
  const backend = await initTensorflow();
  const t = performance.now();
  let last = t;
  const verbose = process.env.BENCH_VERBOSE === '1';
  const onProgress = (_fraction: number, message: string) => {
    const now = performance.now();
    if (verbose) console.log(`  [${sec(now - t)} s, +${sec(now - last)} s] ${message}`);
    last = now;
  };
  const { info, network } = await trainScoringModel(examples, { ...trainSettings(ModelKind.LEAD, examples), seed: 42, onProgress });
  const ms = performance.now() - t;
  console.log(`train: ${examples.length} leads, ${info.pipeline.columns.length} encoded columns, backend ${backend}, load avg ${load()}`);
  for (const c of info.candidates) console.log(`  ${c.type}: ${c.epochs} epochs (best ${c.bestEpoch}), validation log loss ${c.valLogLossCalibrated.toFixed(4)}`);
  console.log(`  kept ${info.algorithm}; holdout AUC ${info.metrics.auc.toFixed(3)}, log loss ${info.metrics.logLoss.toFixed(4)}, Brier ${info.metrics.brier.toFixed(4)}`);
  console.log(`  training (pipeline fit + both candidates + calibration + evaluation + explanations): ${sec(ms)} s`);
  return { info, network };
}

function benchBatch(scorer: ModelScorer, examples: Example[]) {
  const records = Array.from({ length: 100_000 }, (_, i) => examples[i % examples.length].record);
  scorer.score(records.slice(0, 1000)); // warm-up
  let t = performance.now();
  scorer.score(records, { factors: false });
  const plain = performance.now() - t;
  t = performance.now();
  const scored = scorer.score(records);
  const explained = performance.now() - t;
  console.log(`batch: 100,000 leads scored in ${sec(plain)} s (probability, tier), ${sec(explained)} s with explanations (top factors); load avg ${load()}`);
  if (scored.length !== 100_000) throw new Error('scored count');
}

const QUEUE = `query($owner: ID, $team: ID, $after: String) { leadQueue(owner: $owner, team: $team, first: 50, after: $after) {
  edges { cursor node { id name source } score { probability score tier percentile factors { label contribution } } } pageInfo { endCursor hasNextPage } } }`;

async function benchQueue(kind: 'sqlite' | 'postgresql') {
  let url: string;
  if (kind === 'sqlite') {
    if (!fs.existsSync('/tmp/pipewise-bench/READY-sqlite')) return console.log('queue-sqlite: /tmp/pipewise-bench/READY-sqlite not there yet; skipped');
    url = path.join(DIR, '1m-copy.db');
    if (!fs.existsSync(url)) {
      const t = performance.now();
      execFileSync('sqlite3', [SHARED_1M, `.backup '${url}'`]);
      console.log(`copied ${SHARED_1M} to ${url} in ${sec(performance.now() - t)} s`);
    }
  } else {
    if (!fs.existsSync('/tmp/pipewise-bench/READY-postgresql')) return console.log('queue-pg: /tmp/pipewise-bench/READY-postgresql not there yet; skipped');
    url = `${PG}/scoring_bench_1m`;
    const admin = knexFactory({ client: 'pg', connection: `${PG}/postgres`, pool: { min: 0, max: 1 } });
    const exists = await admin.raw(`select 1 from pg_database where datname = 'scoring_bench_1m'`);
    if (exists.rows.length === 0) {
      const t = performance.now();
      await admin.raw(`create database scoring_bench_1m template pipewise_bench_1m`);
      console.log(`copied pipewise_bench_1m to scoring_bench_1m in ${sec(performance.now() - t)} s`);
    }
    await admin.destroy();
  }
  const config = loadConfig({ NODE_ENV: 'development', SEED_DEMO: 'false', LOG_LEVEL: 'silent', MODELS_DIR: process.env.MODELS_DIR }, { database: parseDatabaseUrl(url) });
  const app = await createApp(config, { logger: silent });
  try {
    const em = app.orm.em.fork() as Em;
    const [{ n }] = await em.getConnection().execute('select count(*) as n from leads');
    let t = performance.now();
    const result = await app.scoring.store.rescoreAll(ModelKind.LEAD);
    console.log(`queue-${kind}: ${n} leads; scored all ${result.scored} open leads in ${sec(performance.now() - t)} s (${result.method} ${result.modelVersion})`);
    const owners = await em.getConnection().execute(`select owner_id, team_id, count(*) as n from lead_scores where owner_id is not null group by owner_id, team_id order by n desc`);
    await app.execute(QUEUE, {}); // warm-up: model, percentile sample
    const timings: Record<string, number[]> = { all: [], owner: [], team: [], 'owner page 2+': [] };
    for (let i = 0; i < 200; i++) {
      const o = owners[i % owners.length];
      const cases: Array<[string, Record<string, unknown>]> = [
        ['all', {}],
        ['owner', { owner: String(o.owner_id) }],
        ['team', { team: String(o.team_id) }],
      ];
      for (const [name, vars] of cases) {
        t = performance.now();
        const res = await app.execute<{ leadQueue: { pageInfo: { endCursor: string } } }>(QUEUE, vars);
        timings[name].push(performance.now() - t);
        if (res.errors) throw new Error(JSON.stringify(res.errors));
        if (name === 'owner' && res.data!.leadQueue.pageInfo.endCursor) {
          t = performance.now();
          await app.execute(QUEUE, { ...vars, after: res.data!.leadQueue.pageInfo.endCursor });
          timings['owner page 2+'].push(performance.now() - t);
        }
      }
    }
    for (const [name, xs] of Object.entries(timings)) {
      console.log(`  leadQueue(first: 50) ${name.padEnd(14)} n=${xs.length} p50 ${percentile(xs, 0.5).toFixed(1)} ms  p95 ${percentile(xs, 0.95).toFixed(1)} ms  max ${Math.max(...xs).toFixed(1)} ms`);
    }
    console.log(`  (${owners.length} owners with open leads; load avg ${load()})`);
  } finally {
    await app.stop();
  }
}

async function main() {
  const which = (process.argv[2] ?? 'train,batch,queue-sqlite,queue-pg').split(',');
  console.log(`scoring bench: node ${process.version}, ${os.cpus().length} cores, load avg ${load()}`);
  if (which.includes('train') || which.includes('batch')) {
    const examples = await hundredThousandLeads();
    const { info, network } = await benchTrain(examples);
    if (which.includes('batch')) {
      const scorer = new ModelScorer({ ...info, formatVersion: 1, version: 'bench', createdAt: new Date().toISOString(), libraries: { tfjs: '', backend: '', node: '' } }, network);
      benchBatch(scorer, examples);
    }
  }
  if (which.includes('queue-sqlite')) await benchQueue('sqlite');
  if (which.includes('queue-pg')) await benchQueue('postgresql');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
