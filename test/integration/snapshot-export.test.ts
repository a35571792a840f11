/**
 * `pipewise export --snapshot` round trip: a seeded world exported as a typical CRM export, re-imported into an
 * empty database with the mapping the export wrote. Every deal comes back with its amount (lost ones as 0, as
 * exported, unless kept), its current stage, owner, account, product and dates (but for the undated share of open
 * deals); without stage columns lost deals read as "stage reached unknown", with them the stages reached return.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';
import { createSeededTestApp } from '../helpers/seeded-world';
import type { Em } from '../../src/db/orm';
import { fileSource } from '../../src/modules/import/csv-source';
import { runImport } from '../../src/modules/import/import.service';
import type { ImportReport } from '../../src/modules/import/report';
import { writeSnapshotExport, type SnapshotOptions, type SnapshotSummary } from '../../src/modules/export/snapshot';
import { isoOrBlank } from '../../src/modules/export/csv-format';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'test/fixtures/import/run-cli.js');

interface DealFacts {
  status: string; stage: string; amount: number; currency: string; owner: string | null; account: string | null; product: string | null;
  openedAt: string | null; closedAt: string | null; known: boolean; furthest: number | null;
}

/** Every deal by its export key, with what the round trip must keep (owner by email, account and product by name). */
async function dealFacts(app: TestApp, keyOf: (id: number, external: string | null) => string): Promise<Map<string, DealFacts>> {
  const knex = (app.orm.em as Em).getKnex() as unknown as Knex;
  const rows = await knex('deals as d').join('pipeline_stages as s', 's.id', 'd.stage_id').leftJoin('reps as r', 'r.id', 'd.owner_id')
    .leftJoin('accounts as a', 'a.id', 'd.account_id').leftJoin('products as p', 'p.id', 'd.product_id')
    .select('d.id', 'd.external_id', 'd.status', 's.name as stage', 'd.amount_cents', 'd.currency', 'r.email as owner', 'a.name as account', 'p.name as product',
      'd.opened_at', 'd.closed_at', 'd.stage_history_known',
      knex.raw(`(select max(t.position) from deal_stage_changes c join pipeline_stages t on t.id = c.to_stage_id
                 where c.deal_id = d.id and t.is_won = ? and t.is_lost = ?) as furthest`, [false, false]));
  return new Map(rows.map((r) => [keyOf(Number(r.id), r.external_id), {
    status: r.status, stage: r.stage, amount: Number(r.amount_cents), currency: r.currency, owner: r.owner, account: r.account, product: r.product,
    openedAt: isoOrBlank(r.opened_at), closedAt: isoOrBlank(r.closed_at), known: r.stage_history_known === true || r.stage_history_known === 1,
    furthest: r.furthest == null ? null : Number(r.furthest),
  }]));
}

describe.each(DATABASES)('snapshot export round trip on %s', (kind) => {
  let source: TestApp;
  let original: Map<string, DealFacts>;
  const dirs: string[] = [];

  const roundTrip = async (options: SnapshotOptions) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-snapshot-'));
    dirs.push(dir);
    const summary = await writeSnapshotExport(source.orm.em as Em, dir, options);
    const target = await createTestApp(kind);
    try {
      const mapping = JSON.parse(fs.readFileSync(summary.mapping, 'utf8'));
      const report = await runImport(target.orm.em as Em, kind, mapping, (file) => fileSource(file, path.join(dir, file)));
      return { summary, report, copy: await dealFacts(target, (_id, external) => external!) };
    } finally {
      await target.close();
    }
  };

  beforeAll(async () => {
    // the small world: both round trips export and re-import every deal
    source = await createSeededTestApp(kind, 'small');
    original = await dealFacts(source, (id, external) => external ?? `pw-deal-${id}`);
  }, 120_000);
  afterAll(async () => {
    await source?.close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips every deal, amount and current stage; lost amounts as 0, a share of open deals undated, lost stages unknown', async () => {
    const { summary, report, copy } = await roundTrip({});
    expect([report.status, report.rejectedTotal, report.errors]).toEqual(['COMMITTED', 0, []]);
    expect([...copy.keys()].sort()).toEqual([...original.keys()].sort());
    const counts = { open: 0, won: 0, lost: 0, undatedOpen: 0 };
    for (const [key, was] of original) {
      const now = copy.get(key)!;
      const undated = was.status === 'OPEN' && now.openedAt === null && was.openedAt !== null;
      counts[was.status === 'WON' ? 'won' : was.status === 'LOST' ? 'lost' : 'open']++;
      if (undated) counts.undatedOpen++;
      expect({ key, ...now }).toEqual({
        key, ...was,
        amount: was.status === 'LOST' ? 0 : was.amount,
        openedAt: undated ? null : was.openedAt,
        known: was.status !== 'LOST', // no stage columns: a lost deal's last stage is unknown
        furthest: now.furthest, // history is rebuilt from dates and inferences, compared in the next test
      });
    }
    expect(summary.deals).toEqual(counts);
    expect(counts.undatedOpen).toBeGreaterThan(0);
    expect(counts.undatedOpen).toBeLessThan(counts.open); // 10 % by default, deterministic by seed
    const inferred = (rule: string) => report.inferences.find((i) => i.rule === rule)?.count;
    expect([inferred('LOST_STAGE_UNKNOWN'), inferred('WON_THROUGH_OPEN_STAGES')]).toEqual([counts.lost, counts.won]);
    expect(report.warnings.find((w) => w.reason.startsWith('no created date'))?.count).toBe(counts.undatedOpen);
  }, 120_000);

  it('with stage columns and amounts kept, brings back every amount and the furthest stage each deal reached', async () => {
    const { summary, report, copy } = await roundTrip({ stageDates: true, lostAmounts: 'keep', undatedOpenShare: 0 });
    expect([report.status, report.rejectedTotal, summary.deals.undatedOpen]).toEqual(['COMMITTED', 0, 0]);
    const differences = [...original].filter(([key, was]) => {
      const now = copy.get(key)!;
      return now.amount !== was.amount || now.stage !== was.stage || now.openedAt !== was.openedAt || now.furthest !== was.furthest || !now.known;
    });
    expect(differences).toEqual([]);
    expect(report.inferences.find((i) => i.rule === 'LOST_STAGE_UNKNOWN')).toBeUndefined();
  }, 120_000);
});

describe('pipewise export (CLI child process)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-export-cli-'));
  const env = { ...process.env, DATABASE_URL: path.join(dir, 'db.sqlite'), LOG_LEVEL: 'silent', NODE_ENV: 'test' };
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env, encoding: 'utf8' });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('exits 0 with a JSON summary, 2 on a usage error naming the flag, 1 when the export cannot be written', () => {
    expect(cli('import', '--mapping', 'examples/crm-export/mapping.json').status).toBe(0);
    const ok = cli('export', '--snapshot', '--out', path.join(dir, 'out'), '--json');
    expect(ok.status).toBe(0);
    const summary = JSON.parse(ok.stdout) as SnapshotSummary;
    expect(summary.files.map((f) => [f.file, f.rows])).toEqual([['reps.csv', 9], ['accounts.csv', 7], ['products.csv', 5], ['opportunities.csv', 10]]);
    expect(fs.existsSync(path.join(dir, 'out', 'mapping.json'))).toBe(true);

    const noKind = cli('export', '--out', path.join(dir, 'x'));
    expect([noKind.status, noKind.stderr]).toEqual([2, expect.stringContaining('--snapshot')]);
    const badShare = cli('export', '--snapshot', '--out', path.join(dir, 'x'), '--undated-share', '1.5');
    expect([badShare.status, badShare.stderr]).toEqual([2, expect.stringContaining('--undated-share')]);
    const unknown = cli('export', '--snapshot', '--out', path.join(dir, 'x'), '--stagedates');
    expect([unknown.status, unknown.stderr]).toEqual([2, expect.stringContaining('--stagedates')]);
    const noOut = cli('export', '--snapshot');
    expect([noOut.status, noOut.stderr]).toEqual([2, expect.stringContaining('--out')]);
    fs.writeFileSync(path.join(dir, 'a-file'), 'not a folder');
    const failed = cli('export', '--snapshot', '--out', path.join(dir, 'a-file'));
    expect([failed.status, failed.stderr]).toEqual([1, expect.stringContaining('the export failed')]);
  }, 120_000);
});
