/**
 * WEB_CONCURRENCY=2: the real server (`node dist/src/main.js`) runs two HTTP processes under one supervisor over
 * one database (an SQLite file in WAL mode, and PostgreSQL when TEST_DATABASE_URL is set). Both answer on the one
 * port (each names itself in `x-pipewise-process`), exactly one runs the background jobs, a killed process is
 * replaced (by one that takes over the background jobs when it held them), and SIGTERM stops them all cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DATABASES, createTestDatabase, type TestDatabase } from '../helpers/databases';

const ROOT = path.resolve(__dirname, '../..');
jest.setTimeout(180_000);

async function freePort(): Promise<number> {
  for (let port = 4350 + Math.floor(Math.random() * 40); port < 4400; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port in 4350-4399');
}

/** One request on a fresh connection (the cluster hands out connections, not requests): the process that answered. */
const answeredBy = (port: number) =>
  new Promise<number>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/graphql', method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(res.headers['x-pipewise-process'])) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ query: '{ stages { id } }' }));
  });

async function pidsAnswering(port: number, requests = 24): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < requests; i++) pids.add(await answeredBy(port));
  return pids;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

interface LogLine {
  msg: string;
  pid: number;
  backgroundJobs?: boolean;
}

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 90_000, output = () => ''): Promise<T> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > giveUpAt) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.each(DATABASES)('two server processes (WEB_CONCURRENCY=2) on %s', (kind) => {
  let db: TestDatabase | null = null;
  let dir: string;
  let server: ChildProcess;
  let output = '';
  const lines = () => output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
  const listening = () => lines().filter((l) => l.msg.startsWith('Pipewise GraphQL at'));

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-cluster-'));
    let url = path.join(dir, 'pipewise.db');
    if (kind === 'postgresql') {
      db = await createTestDatabase('postgresql');
      url = db.config.url;
    }
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'development',
      WEB_CONCURRENCY: '2',
      DATABASE_URL: url,
      PORT: String(port),
      HOST: '127.0.0.1',
      SEED_DEMO: 'false',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      MODELS_DIR: path.join(dir, 'models'),
      FORECAST_FACTS_FILE: path.join(dir, 'forecast.facts'), // both processes keep it: not the checkout's data/
      FORECAST_SNAPSHOT_EVERY_HOURS: '0',
    };
    delete env.WORKER_THREADS;
    server = spawn(process.execPath, [path.join(ROOT, 'dist/src/main.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await until('two processes listening', () => listening().length >= 2, 120_000, () => output);
    (server as ChildProcess & { port: number }).port = port;
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGKILL');
      for (const l of listening()) if (alive(l.pid)) process.kill(l.pid, 'SIGKILL');
    }
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const port = () => (server as ChildProcess & { port: number }).port;

  it('both processes answer on the one port; exactly one runs the background jobs', async () => {
    const started = listening();
    expect(new Set(started.map((l) => l.pid)).size).toBe(2);
    expect(started.filter((l) => l.backgroundJobs).length).toBe(1);
    expect(started.every((l) => l.pid !== server.pid)).toBe(true); // the supervisor does not serve
    const pids = await pidsAnswering(port());
    expect([...pids].sort()).toEqual(started.map((l) => l.pid).sort());
  });

  it('a killed process is replaced, and its replacement takes over the background jobs', async () => {
    const [background] = listening().filter((l) => l.backgroundJobs);
    process.kill(background.pid, 'SIGKILL');
    const replacement = await until('a replacement listening', () => listening().find((l, i) => i >= 2), 90_000, () => output);
    expect(replacement.backgroundJobs).toBe(true);
    expect(alive(background.pid)).toBe(false);
    const other = listening().find((l) => !l.backgroundJobs)!;
    const pids = await pidsAnswering(port());
    expect([...pids].sort()).toEqual([replacement.pid, other.pid].sort());
  });

  it('SIGTERM stops every process cleanly', async () => {
    const pids = [...(await pidsAnswering(port(), 4))];
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    await until('the server processes to exit', () => pids.every((pid) => !alive(pid)), 10_000);
    expect(lines().filter((l) => l.msg === 'stopped cleanly').length).toBe(3); // two processes and the supervisor
  });
});
