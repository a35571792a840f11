/**
 * Import benchmark: generates a CRM export of N deal rows (default 1,000,000) plus their reps, accounts
 * and products as CSV files in /tmp, then imports it once into a fresh SQLite file and, when
 * BENCH_DATABASE_URL (postgres://...) is set, once into a fresh PostgreSQL database. Each import runs in a
 * child process that prints its wall time, peak RSS and RSS sampled along the way (flat = streaming).
 *
 *   npm run build && node dist/bench/import.js [deals=1000000]
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/import_bench node dist/bench/import.js 1000000
 * The database the URL names is dropped and created afresh (default pipewise_import_bench when it names `postgres`).
 * BENCH_ONLY=sqlite or BENCH_ONLY=postgresql runs one of the two; BENCH_PROFILE=1 prints the PostgreSQL statements
 * the import sent (count and total wait per kind); BENCH_CPU_PROF=<dir> writes the importing process's CPU profile
 * there (node --cpu-prof); BENCH_DIR moves the generated export and the SQLite file (default below).
 * PostgreSQL's figure includes the CPU time of the import's server backends (read from /proc: a local server).
 */
import 'reflect-metadata';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import seedrandom from 'seedrandom';

const DIR = process.env.BENCH_DIR ?? '/tmp/pipewise-import-bench';

function generate(deals: number): void {
  const marker = path.join(DIR, `.generated-${deals}`);
  if (fs.existsSync(marker)) return;
  fs.rmSync(DIR, { recursive: true, force: true });
  fs.mkdirSync(DIR, { recursive: true });
  const rng = seedrandom('pipewise-import-bench');
  const reps = Math.max(10, Math.round(deals / 2000));
  const accounts = Math.max(20, Math.round(deals / 50));
  const managers = Math.ceil(reps / 8);
  const write = (file: string, lines: Iterable<string>) => {
    const fd = fs.openSync(path.join(DIR, file), 'w');
    let buf = '';
    for (const line of lines) {
      buf += line + '\n';
      if (buf.length > 1 << 20) {
        fs.writeSync(fd, buf);
        buf = '';
      }
    }
    fs.writeSync(fd, buf);
    fs.closeSync(fd);
  };
  const offices = ['Central', 'East', 'West'];
  write('team.csv', (function* () {
    yield 'agent,manager,office';
    for (let i = 0; i < reps; i++) yield `Agent ${i},Manager ${i % managers},${offices[i % managers % 3]}`;
  })());
  const sectors = ['software', 'retail', 'medical', 'finance', 'telecom', 'services'];
  write('accounts.csv', (function* () {
    yield 'company,industry,headcount,revenue,hq,parent_company';
    for (let i = 0; i < accounts; i++) {
      yield `"Company ${i}, Inc.",${sectors[i % 6]},${10 + Math.floor(rng() * 9000)},${(rng() * 5000).toFixed(2)},United States,${i % 50 === 1 ? `"Company ${i - 1}, Inc."` : ''}`;
    }
  })());
  const products = ['GTX Basic', 'GTX Pro', 'MG Special', 'MG Advanced', 'GTK 500'];
  const prices = [550, 4821, 55, 3393, 26768];
  write('products.csv', ['product,line,price', ...products.map((p, i) => `${p},${p.split(' ')[0]},${prices[i]}`)]);
  const stages = ['Closed Won', 'Closed Won', 'Closed Won', 'Closed Lost', 'Closed Lost', 'Engaging', 'Engaging', 'Prospecting'];
  const day = 86_400_000;
  const start = Date.UTC(2020, 0, 1);
  const iso = (t: number) => new Date(t).toISOString().slice(0, 10);
  write('opportunities.csv', (function* () {
    yield 'id,agent,company,product,stage,created,closed,value,reason';
    for (let i = 0; i < deals; i++) {
      const stage = stages[Math.floor(rng() * stages.length)];
      const p = Math.floor(rng() * products.length);
      const product = p === 1 && rng() < 0.5 ? 'GTXPro' : products[p];
      const created = start + Math.floor(rng() * 1500) * day;
      const closed = stage.startsWith('Closed') ? iso(created + Math.floor(5 + rng() * 120) * day) : '';
      const value = stage === 'Closed Won' ? Math.round(prices[p] * (0.8 + rng() * 0.4)) : stage === 'Closed Lost' ? 0 : '';
      const reason = stage === 'Closed Lost' ? ['Price', 'Competitor', 'Timing'][i % 3] : '';
      yield `D${String(i).padStart(8, '0')},Agent ${Math.floor(rng() * reps)},"Company ${Math.floor(rng() * accounts)}, Inc.",${product},${stage},${stage === 'Prospecting' ? '' : iso(created)},${closed},${value},${reason}`;
    }
  })());
  fs.writeFileSync(path.join(DIR, 'mapping.json'), JSON.stringify({
    reps: { file: 'team.csv', columns: { name: 'agent', team: 'manager', manager: 'manager', region: 'office' } },
    accounts: { file: 'accounts.csv', columns: { name: 'company', sector: 'industry', employees: 'headcount', annualRevenue: 'revenue', country: 'hq', parent: 'parent_company' } },
    products: { file: 'products.csv', columns: { name: 'product', family: 'line', listPrice: 'price' } },
    deals: {
      file: 'opportunities.csv',
      columns: { externalId: 'id', owner: 'agent', account: 'company', product: 'product', stage: 'stage', createdAt: 'created', closedAt: 'closed', amount: 'value', lossReason: 'reason' },
      stages: { Prospecting: 'Prospecting', Engaging: 'Qualification', 'Closed Won': 'Won', 'Closed Lost': 'Lost' },
      aliases: { product: { GTXPro: 'GTX Pro' } },
    },
  }, null, 2));
  fs.writeFileSync(marker, '');
}

/**
 * BENCH_PROFILE=1: counts the statements the import sends through node-postgres and the time each kind waits for
 * (by its first words), printed to stderr: what the import waits for, and how many round trips it makes.
 */
function profilePgStatements(): () => string {
  const { Client } = require('pg') as { Client: { prototype: { query: (...args: unknown[]) => unknown } } };
  const byKind = new Map<string, { count: number; ms: number }>();
  const query = Client.prototype.query as (...args: unknown[]) => unknown;
  Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    const text = typeof first === 'string' ? first : first?.text ?? '';
    const kind = text.replace(/\s+/g, ' ').trim().slice(0, 70);
    const t0 = performance.now();
    const done = () => {
      const entry = byKind.get(kind) ?? { count: 0, ms: 0 };
      entry.count++;
      entry.ms += performance.now() - t0;
      byKind.set(kind, entry);
    };
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const callback = args[last] as (...a: unknown[]) => unknown; // knex's callback style
      args[last] = (...a: unknown[]) => (done(), callback(...a));
    }
    const result = query.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') (result as Promise<unknown>).then(done, done);
    return result;
  };
  return () => [...byKind].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)
    .map(([kind, e]) => `${String(e.count).padStart(8)} x ${(e.ms / 1000).toFixed(2).padStart(8)} s  ${kind}`).join('\n');
}

/**
 * CPU seconds used so far by the server processes of this database's connections (utime + stime of
 * /proc/<pid>/stat, in clock ticks of 1/100 s): the pool keeps its connections, so the difference of two readings
 * is what the import cost the server, its backend's time included.
 */
async function backendCpu(orm: { em: { getConnection(): { execute(sql: string): Promise<unknown> } } }): Promise<number> {
  const rows = (await orm.em.getConnection().execute('select pid from pg_stat_activity where datname = current_database()')) as Array<{ pid: number }>;
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    } catch {
      // not a local server, or the backend ended
    }
  }
  return ticks / 100;
}

/** Child mode: one import into the given database; prints one JSON line. */
async function runOnce(url: string): Promise<void> {
  const profile = process.env.BENCH_PROFILE && url.startsWith('postgres') ? profilePgStatements() : null;
  const { loadConfig, parseDatabaseUrl } = await import('../src/config');
  const { createOrm, migrate } = await import('../src/db/orm');
  const { runImport } = await import('../src/modules/import/import.service');
  const { fileSource } = await import('../src/modules/import/csv-source');
  const config = loadConfig({ ...process.env, DATABASE_URL: url }, { database: parseDatabaseUrl(url) });
  const orm = await createOrm(config.database);
  await migrate(orm);
  const samples: number[] = [];
  const timer = setInterval(() => samples.push(process.memoryUsage().rss), 2000);
  const mapping = JSON.parse(fs.readFileSync(path.join(DIR, 'mapping.json'), 'utf8'));
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const backends = url.startsWith('postgres') ? await backendCpu(orm) : null;
  const report = await runImport(orm.em as never, config.database.kind, mapping, (file) => fileSource(file, path.join(DIR, file)));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const serverCpuSeconds = backends ? (await backendCpu(orm)) - backends : null;
  clearInterval(timer);
  await orm.close();
  if (profile) console.error(`statements (count, total wait, kind):\n${profile()}`);
  const mb = (b: number) => Math.round(b / 1e6);
  const quart = [0.25, 0.5, 0.75, 1].map((q) => mb(samples[Math.max(0, Math.ceil(samples.length * q) - 1)] ?? 0));
  console.log(JSON.stringify({
    seconds: Number(seconds.toFixed(1)),
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(1)),
    serverCpuSeconds: serverCpuSeconds == null ? null : Number(serverCpuSeconds.toFixed(1)),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1000),
    rssAtQuartersMb: quart,
    counts: report.entities.map((e) => `${e.entity}: ${e.created} created, ${e.rejected} rejected`),
    rejected: report.rejectedTotal,
  }));
}

function main(): void {
  const deals = Number(process.argv[2] ?? 1_000_000);
  let t = Date.now();
  generate(deals);
  const size = fs.statSync(path.join(DIR, 'opportunities.csv')).size;
  console.log(`CSV export in ${DIR}: ${deals} deals (${(size / 1e6).toFixed(0)} MB opportunities.csv), generated/reused in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const targets: Array<[string, string]> = [];
  const sqliteFile = path.join(DIR, 'bench.db');
  for (const f of [sqliteFile, `${sqliteFile}-journal`, `${sqliteFile}-wal`]) fs.rmSync(f, { force: true });
  const only = process.env.BENCH_ONLY;
  if (!only || only === 'sqlite') targets.push(['sqlite', sqliteFile]);
  const pg = process.env.BENCH_DATABASE_URL;
  if (pg && (!only || only === 'postgresql')) {
    const url = new URL(pg);
    const named = url.pathname.slice(1);
    const dbName = named && named !== 'postgres' ? named : 'pipewise_import_bench';
    if (!/^[a-z_][a-z0-9_]*$/.test(dbName) || dbName.startsWith('pipewise_bench')) throw new Error(`bench: refusing to recreate database "${dbName}"`);
    url.pathname = '/postgres';
    execFileSync('psql', [url.toString(), '-qc', `drop database if exists ${dbName}`, '-c', `create database ${dbName}`]);
    url.pathname = `/${dbName}`;
    targets.push(['postgresql', url.toString()]);
  }
  for (const [kind, url] of targets) {
    t = Date.now();
    const profileArgs = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`, `--cpu-prof-name=${kind}-${Date.now()}.cpuprofile`] : [];
    const child = spawnSync(process.execPath, [...profileArgs, __filename, '--run', url], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (child.status !== 0) throw new Error(`${kind} import failed: ${child.stdout}`);
    const result = JSON.parse(child.stdout.trim().split('\n').pop()!);
    console.log(`${kind.padEnd(10)} import ${deals} deals: ${result.seconds} s wall, ${result.cpuSeconds} s CPU of the importing process${result.serverCpuSeconds == null ? '' : ` + ${result.serverCpuSeconds} s of its PostgreSQL backends`} (whole child ${((Date.now() - t) / 1000).toFixed(1)} s), peak RSS ${result.peakRssMb} MB, RSS at 25/50/75/100% of the run: ${result.rssAtQuartersMb.join('/')} MB`);
    console.log(`           ${result.counts.join('; ')}`);
  }
}

if (process.argv[2] === '--run') {
  runOnce(process.argv[3]).catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else main();
