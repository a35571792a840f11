import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runCli } from '../helpers/cli';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';

/**
 * README "Run in production", step by step: production settings, `pipewise migrate`, two instances of
 * `node dist/src/main.js` on one PostgreSQL and Redis, readiness, tokens, JSON logs, and a clean SIGTERM.
 * Needs PostgreSQL (TEST_DATABASE_URL) and Redis on 127.0.0.1:6379, as `.ci/run` provides.
 */
const run = process.env.TEST_DATABASE_URL ? describe : describe.skip;
const PORTS = [4121, 4122]; // this helper's range (4120-4129)

run('running in production: two instances behind a load balancer', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-prod-'));
  const instances: Array<{ child: ChildProcess; stdout: string; exited: Promise<number | null> }> = [];

  beforeAll(async () => {
    db = await createTestDatabase('postgresql');
    env = {
      NODE_ENV: 'production',
      DATABASE_URL: db.config.url,
      JWT_SECRET: randomBytes(48).toString('base64'),
      REDIS_URL: 'redis://127.0.0.1:6379/11',
      MODELS_DIR: path.join(dir, 'models'),
      FORECAST_FACTS_FILE: path.join(dir, 'forecast.facts'), // not the checkout's data/
      HOST: '127.0.0.1',
    };
  });
  afterAll(async () => {
    for (const i of instances) if (i.child.exitCode === null) i.child.kill('SIGKILL');
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('migrates once with `pipewise migrate`', async () => {
    const result = await runCli(['migrate'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Applied \d+ migration\(s\): Migration\d+_initial, /);
  });

  it('starts every instance ready, refusing anonymous requests and introspection', async () => {
    for (const port of PORTS) {
      const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'src', 'main.js')], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
      const instance = { child, stdout: '', exited: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))) };
      child.stdout!.on('data', (chunk) => (instance.stdout += chunk));
      instances.push(instance);
    }
    for (const port of PORTS) {
      let ready = false;
      for (let i = 0; i < 120 && !ready; i++) {
        ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
        if (!ready) await new Promise((r) => setTimeout(r, 250));
      }
      expect(ready).toBe(true);
      const anonymous = await graphql(port, '{ me { role } }');
      expect(anonymous.status).toBe(401);
    }
  }, 60_000);

  it('serves the same token on every instance (one JWT_SECRET), with JSON logs', async () => {
    const token = (await runCli(['token', '--role', 'ADMIN'], env)).stdout.trim();
    for (const port of PORTS) {
      const me = await graphql(port, 'query Me { me { role } }', token);
      expect(me).toMatchObject({ status: 200, body: { data: { me: { role: 'ADMIN' } } } });
      const introspection = await graphql(port, '{ __schema { queryType { name } } }', token);
      expect(introspection.body.errors?.[0].message).toMatch(/introspection/i);
    }
    const lines = instances[0].stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.find((l) => l.operation === 'Me')).toMatchObject({ level: 'info', status: 200, requestId: expect.any(String) });
    for (const l of lines) expect(l.time).toEqual(new Date(l.time).toISOString());
  });

  it('stops cleanly on SIGTERM (exit 0)', async () => {
    for (const i of instances) i.child.kill('SIGTERM');
    expect(await Promise.all(instances.map((i) => i.exited))).toEqual([0, 0]);
  }, 30_000);
});

async function graphql(port: number, query: string, token?: string) {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: (await res.json()) as { data?: Record<string, unknown>; errors?: Array<{ message: string }> } };
}
