/**
 * Seeds the demo world (seed 42, end 2026-11-23) at 20k and 1M deals on SQLite and PostgreSQL, one at a time, and
 * prints seconds per phase, rows/s and peak RSS of each run (each seed runs in its own child process so its peak
 * RSS is its own). Leaves the benchmark databases in place for the other benchmarks and writes their markers:
 *   SQLite     /tmp/pipewise-bench/20k.db (READY-20k), /tmp/pipewise-bench/1m.db (READY-sqlite)
 *   PostgreSQL pipewise_bench_20k, pipewise_bench_1m (READY-postgresql)
 * `compare` inserts the same 100,000 activity rows through MikroORM's em.insertMany and through the seed's writer.
 *
 *   npm run build && node dist/bench/seed.js [sqlite-20k,pg-20k,sqlite-1m,pg-1m,compare]   (default: all, in that order)
 *   BENCH_PG_URL=postgres://postgres@127.0.0.1:5433 node dist/bench/seed.js pg-4m   a bigger PostgreSQL world, named by its
 *   size (pg-<n>k or pg-<n>m: that many deals into pipewise_bench_<n>k|m, marker READY-postgresql-<n>k|m); check df first
 *   BENCH_DIR=/elsewhere puts the SQLite files and markers elsewhere (to measure without touching the shared ones);
 *   BENCH_PG_20K_DB=name seeds the PostgreSQL 20k world into that database instead of pipewise_bench_20k.
 */
import 'reflect-metadata';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseDatabaseUrl } from '../src/config';
import { createOrm, migrate } from '../src/db/orm';
import { Activity } from '../src/modules/activity/activity.entity';
import { seedDemoWorld, type SeedReport } from '../seeds';
import { openSink, TableBuffer } from '../seeds/sink';
import { TABLES } from '../seeds/tables';

const DIR = process.env.BENCH_DIR ?? '/tmp/pipewise-bench';
const PG = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const END = new Date('2026-11-23T00:00:00Z');

interface Run {
  name: string;
  deals: number;
  url: string;
  marker?: string;
}

const RUNS: Record<string, Run> = {
  'sqlite-20k': { name: 'sqlite-20k', deals: 20_000, url: path.join(DIR, '20k.db'), marker: 'READY-20k' },
  'pg-20k': { name: 'pg-20k', deals: 20_000, url: `${PG}/${process.env.BENCH_PG_20K_DB ?? 'pipewise_bench_20k'}` },
  'sqlite-1m': { name: 'sqlite-1m', deals: 1_000_000, url: path.join(DIR, '1m.db'), marker: 'READY-sqlite' },
  'pg-1m': { name: 'pg-1m', deals: 1_000_000, url: `${PG}/pipewise_bench_1m`, marker: 'READY-postgresql' },
};

/** `pg-4m`: 4,000,000 deals into pipewise_bench_4m (the 1M and 20k worlds keep their names above). */
function sizedRun(name: string): Run | undefined {
  const match = /^pg-(\d+)(k|m)$/.exec(name);
  if (!match) return undefined;
  const size = `${match[1]}${match[2]}`;
  return { name, deals: Number(match[1]) * (match[2] === 'k' ? 1_000 : 1_000_000), url: `${PG}/pipewise_bench_${size}`, marker: `READY-postgresql-${size}` };
}

/** Child: one seed into an empty database; prints its report, CPU seconds and peak RSS as one JSON line. */
async function child(url: string, deals: number): Promise<void> {
  const orm = await createOrm(parseDatabaseUrl(url));
  try {
    await migrate(orm);
    const report = await seedDemoWorld(orm, { seed: 42, deals, end: END, progress: false });
    const cpu = process.cpuUsage();
    console.log(JSON.stringify({ report, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
  } finally {
    await orm.close();
  }
}

function freshDatabase(run: Run): void {
  if (run.marker) fs.rmSync(path.join(DIR, run.marker), { force: true });
  if (run.url.startsWith('postgres')) {
    const name = new URL(run.url).pathname.slice(1);
    execFileSync('psql', [PG + '/postgres', '-qc', `drop database if exists "${name}" with (force)`]);
    execFileSync('psql', [PG + '/postgres', '-qc', `create database "${name}"`]);
  } else {
    fs.mkdirSync(DIR, { recursive: true });
    for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(run.url + suffix, { force: true });
  }
}

async function seedRun(run: Run): Promise<void> {
  freshDatabase(run);
  const out = await new Promise<string>((resolve, reject) => {
    const proc = spawn(process.execPath, ['--max-old-space-size=4096', __filename, '--child', run.url, String(run.deals)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    proc.stdout.on('data', (chunk) => (text += chunk));
    proc.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`${run.name}: child exited with ${code}`))));
  });
  const { report, cpuSeconds, peakRssMb } = JSON.parse(out.trim().split('\n').pop()!) as { report: SeedReport; cpuSeconds: number; peakRssMb: number };
  const rows = Object.values(report.counts).reduce((a, b) => a + b, 0);
  if (run.marker) fs.writeFileSync(path.join(DIR, run.marker), `${new Date().toISOString()} seed 42, ${run.deals} deals, end ${END.toISOString().slice(0, 10)}\n${JSON.stringify(report.counts)}\n`);
  console.log(`\n${run.name}  ${run.url}`);
  console.log(`  rows: ${rows.toLocaleString('en')}  ${JSON.stringify(report.counts)}`);
  console.log(`  seconds per phase: ${JSON.stringify(report.seconds)}`);
  console.log(`  total ${report.totalSeconds.toFixed(1)} s, ${Math.round(rows / report.totalSeconds).toLocaleString('en')} rows/s, peak RSS ${peakRssMb} MB, CPU of the seeding process ${cpuSeconds.toFixed(1)} s`);
  if (run.url.startsWith('postgres')) {
    const name = new URL(run.url).pathname.slice(1);
    const size = execFileSync('psql', [PG + '/postgres', '-Atc', `select pg_size_pretty(pg_database_size('${name}'))`], { encoding: 'utf8' }).trim();
    console.log(`  database size ${size}`);
  }
}

/** em.insertMany (MikroORM's native batch insert, 5,000 rows per call) vs the seed's writer, 100,000 activities each. */
async function compare(): Promise<void> {
  const N = 100_000;
  const base = Date.UTC(2025, 0, 1);
  for (const kind of ['sqlite', 'postgresql'] as const) {
    const run: Run = kind === 'sqlite' ? { name: 'cmp', deals: 0, url: path.join(DIR, 'compare.db') } : { name: 'cmp', deals: 0, url: `${PG}/pipewise_bench_compare` };
    freshDatabase(run);
    const orm = await createOrm(parseDatabaseUrl(run.url));
    await migrate(orm);
    const em = orm.em.fork();
    let t = performance.now();
    await em.transactional(async (tx) => {
      for (let start = 0; start < N; start += 5_000) {
        const rows = [];
        for (let i = start; i < start + 5_000; i++) {
          const at = new Date(base + i * 60_000);
          rows.push({ id: i + 1, createdAt: at, updatedAt: at, type: 'CALL', at, outcome: 'CONNECTED', notes: 'Follow-up call' });
        }
        await tx.insertMany(Activity, rows as never[]);
      }
    });
    const orm1 = performance.now() - t;
    await em.getConnection().execute('delete from activities');
    const sink = await openSink(orm);
    const buffer = new TableBuffer(TABLES.activities);
    t = performance.now();
    await sink.begin();
    for (let i = 0; i < N; i++) {
      const at = new Date(base + i * 60_000);
      buffer.push([i + 1, at, at, 'CALL', null, null, null, at, 'CONNECTED', 'Follow-up call']);
      if (buffer.length === 5_000) await sink.write(buffer);
    }
    await sink.write(buffer);
    await sink.finish();
    const writer = performance.now() - t;
    await orm.close();
    if (kind === 'postgresql') execFileSync('psql', [PG + '/postgres', '-qc', 'drop database if exists pipewise_bench_compare with (force)']);
    else for (const suffix of ['', '-wal', '-shm']) fs.rmSync(run.url + suffix, { force: true });
    console.log(`\ninsert ${N.toLocaleString('en')} activities on ${kind}: em.insertMany ${(N / (orm1 / 1000)).toFixed(0)} rows/s (${(orm1 / 1000).toFixed(2)} s), seed writer ${(N / (writer / 1000)).toFixed(0)} rows/s (${(writer / 1000).toFixed(2)} s)`);
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3], Number(process.argv[4]));
  const selected = (process.argv[2] ?? 'sqlite-20k,pg-20k,sqlite-1m,pg-1m,compare').split(',');
  for (const name of selected) {
    if (name === 'compare') await compare();
    else if (RUNS[name] ?? sizedRun(name)) await seedRun(RUNS[name] ?? sizedRun(name)!);
    else throw new Error(`unknown run "${name}"`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
