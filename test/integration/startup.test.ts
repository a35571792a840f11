/**
 * Start-up on whatever is there: the server seeds only a truly empty database, and an imported database of any
 * shape (here: leads and no deals, the shape that used to die with SeedRefusedError) starts and serves. The
 * server runs as a user runs it (`pipewise serve`, a child process) on SQLite and PostgreSQL.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createApp } from '../../src/app';
import { loadConfig, parseDatabaseUrl, type DatabaseConfig } from '../../src/config';
import type { Em } from '../../src/db/orm';
import { textSource } from '../../src/modules/import/csv-source';
import { runImport } from '../../src/modules/import/import.service';
import { holdsSalesData } from '../../seeds';
import { createOrm } from '../../src/db/orm';
import { ModelRegistry } from '../../src/modules/scoring/model-registry';
import { DATABASES, createTestDatabase, type TestDatabase } from '../helpers/databases';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'test/fixtures/import/run-cli.js');
const LEADS = 'id,source,created\nS1,Referral,2024-01-02\nS2,Webinar,2024-01-03\nS3,Referral,2024-01-04\n';

/**
 * Starts `pipewise serve` on a free port (PORT=0: several checkouts may run this test at once), waits for the
 * start-up line naming its GraphQL URL, runs `use`, stops it with SIGTERM; returns the child's output.
 */
async function withServer(database: DatabaseConfig, modelsDir: string, use: (url: string) => Promise<void>): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', DATABASE_URL: database.url, PORT: '0', HOST: '127.0.0.1', MODELS_DIR: modelsDir, LOG_LEVEL: 'info', FORECAST_FACTS_FILE: path.join(path.dirname(modelsDir), 'forecast.facts') }; // not the checkout's data/
  delete env.SEED_DEMO;
  const child = spawn(process.execPath, [CLI, 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not report listening within 90 s:\n${output}`)), 90_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const listening = /GraphQL at (http:\/\/\S+\/graphql)/.exec(output);
        if (listening) {
          clearTimeout(timer);
          resolve(listening[1]);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`the server exited (${code}) before listening:\n${output}`));
      });
    });
    await use(url);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  return output;
}

describe.each(DATABASES)('start-up on %s', (kind) => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-startup-'));
    db = kind === 'sqlite' ? { config: parseDatabaseUrl(path.join(dir, 'pipewise.db')), drop: async () => undefined } : await createTestDatabase(kind);
  });
  afterAll(async () => {
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves a database holding leads and no deals instead of trying to seed it', async () => {
    const config = loadConfig({ NODE_ENV: 'test' }, { database: db.config, seedDemoWhenEmpty: false });
    const app = await createApp(config, { logger: pino({ level: 'silent' }) });
    try {
      expect(await holdsSalesData(app.orm.em.fork() as Em)).toBe(false);
      const mapping = { leads: { file: 'leads.csv', columns: { externalId: 'id', source: 'source', createdAt: 'created' } } };
      const report = await runImport(app.orm.em as Em, kind, mapping, () => textSource('leads.csv', LEADS));
      expect(report).toMatchObject({ status: 'COMMITTED', rejectedTotal: 0 });
      expect(await holdsSalesData(app.orm.em.fork() as Em)).toBe(true);
    } finally {
      await app.stop();
    }

    const modelsDir = path.join(dir, 'models');
    const output = await withServer(db.config, modelsDir, async (url) => {
      const res = await fetch(url, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ leads(first: 5) { totalCount } deals(first: 5) { totalCount } }' }),
      });
      expect((await res.json()).data).toEqual({ leads: { totalCount: 3 }, deals: { totalCount: 0 } });
    });
    expect(output).not.toContain('seeding the demo world');
    expect(output).not.toContain('SeedRefusedError');
  }, 120_000);
});

describe('models of a running server', () => {
  it('resolve to MODELS_DIR when trained here, else to the committed demo models in models/', async () => {
    const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-models-'));
    const config = loadConfig({ NODE_ENV: 'test' }, { database: parseDatabaseUrl(':memory:'), seedDemoWhenEmpty: false, modelsDir, demoModelsDir: path.join(ROOT, 'models') });
    const orm = await createOrm(config.database);
    try {
      const runtime = new ModelRegistry(orm, config, pino({ level: 'silent' }));
      const demo = fs.readdirSync(path.join(ROOT, 'models', 'lead'))[0];
      expect(runtime.modelDir(`lead/${demo}`)).toBe(path.join(ROOT, 'models', 'lead', demo));
      const scorer = await runtime.loadModel(`lead/${demo}`);
      expect(scorer.version).toBe(demo);
      // A model of the same path trained here takes precedence; new ones are written under modelsDir.
      fs.mkdirSync(path.join(modelsDir, 'lead', demo), { recursive: true });
      expect(runtime.modelDir(`lead/${demo}`)).toBe(path.join(modelsDir, 'lead', demo));
    } finally {
      await orm.close();
      fs.rmSync(modelsDir, { recursive: true, force: true });
    }
  }, 60_000);
});
