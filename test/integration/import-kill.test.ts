/**
 * The CLI as a user runs it (a child process): exit codes, and a SIGKILL in the middle of loading a large
 * file, after which the database must be exactly as before (one transaction per import). SQLite file only:
 * the child needs a database both processes can open.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface SqliteHandle {
  prepare(sql: string): { get(): unknown; all(): unknown[] };
  close(): void;
}
// better-sqlite3 (MikroORM's SQLite driver) has no type declarations installed: the two calls used are typed here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database: new (file: string, options?: { readonly?: boolean }) => SqliteHandle = require('better-sqlite3');

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'test/fixtures/import/run-cli.js');
const TABLES = ['reps', 'teams', 'accounts', 'products', 'deals', 'deal_stage_changes', 'leads', 'activities', 'import_runs'];

function snapshot(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    const counts = Object.fromEntries(TABLES.map((t) => [t, (db.prepare(`select count(*) as n from ${t}`).get() as { n: number }).n]));
    const indexes = (db.prepare(`select name from sqlite_master where type = 'index' and tbl_name in ('deals', 'deal_stage_changes') order by name`).all() as Array<{ name: string }>).map((r) => r.name);
    const integrity = (db.prepare('pragma integrity_check').get() as { integrity_check: string }).integrity_check;
    return { counts, indexes, integrity };
  } finally {
    db.close();
  }
}

/** A large export: 300 reps, 3,000 accounts, 200,000 deals (about 17 MB). */
function writeLargeExport(dir: string): string {
  const reps = Array.from({ length: 300 }, (_, i) => `Kill Rep ${i},Kill Manager ${i % 20},West`);
  fs.writeFileSync(path.join(dir, 'team.csv'), ['agent,manager,office', ...reps].join('\n'));
  const accounts = Array.from({ length: 3000 }, (_, i) => `Kill Account ${i},software,${i + 10},${i}.5,France,`);
  fs.writeFileSync(path.join(dir, 'accounts.csv'), ['company,industry,headcount,revenue,hq,parent_company', ...accounts].join('\n'));
  const lines = ['id,agent,company,product,stage,created,closed,value,reason'];
  for (let i = 0; i < 200_000; i++) {
    lines.push(`K${i},Kill Rep ${i % 300},Kill Account ${i % 3000},GTX Basic,${i % 2 ? 'Closed Won' : 'Engaging'},2022-01-${String(1 + (i % 28)).padStart(2, '0')},${i % 2 ? '2022-03-01' : ''},${100 + (i % 900)},`);
  }
  fs.writeFileSync(path.join(dir, 'opportunities.csv'), lines.join('\n'));
  const mapping = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples/crm-export/mapping.json'), 'utf8'));
  const out = { reps: mapping.reps, accounts: mapping.accounts, deals: mapping.deals };
  fs.writeFileSync(path.join(dir, 'mapping.json'), JSON.stringify(out));
  return path.join(dir, 'mapping.json');
}

describe('pipewise import (CLI child process, SQLite file)', () => {
  let dir: string;
  let dbFile: string;
  const env = () => ({ ...process.env, DATABASE_URL: dbFile, NODE_ENV: 'test', SEED_DEMO: 'false' });

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-import-kill-'));
    dbFile = path.join(dir, 'kill.db');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('exits 0 on a clean import and 1 when rows are rejected (dry run writes nothing)', () => {
    const ok = spawnSync(process.execPath, [CLI, 'import', '--mapping', path.join(ROOT, 'examples/crm-export/mapping.json')], { env: env(), encoding: 'utf8' });
    expect(ok.stderr).toContain('importing deals from opportunities.csv');
    expect([ok.status, ok.stdout.split('\n')[0]]).toEqual([0, expect.stringMatching(/^Import committed\. \(.* s, run #1\)$/)]);
    const before = snapshot(dbFile);
    expect(before.counts).toMatchObject({ deals: 10, reps: 9, import_runs: 1 });

    const messy = spawnSync(process.execPath, [CLI, 'import', '--dry-run', '--mapping', path.join(ROOT, 'test/fixtures/import/messy/mapping.json')], { env: env(), encoding: 'utf8' });
    expect(messy.status).toBe(1);
    expect(messy.stdout).toContain('Dry run: nothing was written.');
    expect(messy.stdout).toContain('Rejected rows (15):');
    expect(snapshot(dbFile).counts).toEqual(before.counts);

    const badMapping = path.join(dir, 'bad.json');
    fs.writeFileSync(badMapping, JSON.stringify({ deals: { file: 'missing.csv', columns: { stage: 'stage' } } }));
    const bad = spawnSync(process.execPath, [CLI, 'import', '--mapping', badMapping], { env: env(), encoding: 'utf8' });
    expect([bad.status, bad.stderr.trim()]).toEqual([2, expect.stringMatching(/^error: import not started \(mapping\.deals\.file\): deals: file .*missing\.csv does not exist$/)]);
  });

  it('leaves the database as before when killed with SIGKILL in the middle of loading deals', async () => {
    const before = snapshot(dbFile);
    const mapping = writeLargeExport(dir);
    const child = spawn(process.execPath, [CLI, 'import', '--mapping', mapping], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        // Reps and accounts are written (same transaction), deals are loading: kill shortly after they start.
        if (stderr.includes('importing deals')) setTimeout(resolve, 1500);
      });
      child.on('exit', () => reject(new Error(`import finished before it could be killed: ${stdout}${stderr}`)));
    });
    child.kill('SIGKILL');
    expect(await exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(stdout).not.toContain('Import committed');

    const after = snapshot(dbFile);
    expect(after.integrity).toBe('ok');
    expect(after.counts).toEqual(before.counts);
    expect(after.indexes).toEqual(before.indexes); // dropped for the bulk load inside the transaction, restored by the rollback
    expect(after.indexes.length).toBeGreaterThan(5);
  }, 180_000); // the header checks read the 17 MB file once before deals start loading; the machine is shared
});
