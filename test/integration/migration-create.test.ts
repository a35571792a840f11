import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MikroORM } from '@mikro-orm/core';
import type { DatabaseConfig } from '../../src/config';
import { createMigration, migrationSuffix } from '../../src/db/migration-create';
import { createOrm, migrate, migrationsDir, ormOptions, type Orm } from '../../src/db/orm';
import { runCli } from '../helpers/cli';
import { DATABASES, type TestDatabase } from '../helpers/databases';
import { seededDatabase } from '../helpers/seeded-world';

/**
 * `pipewise migration:create`: on a migrated (and seeded: SQLite then has sqlite_stat1/sqlite_stat4) database
 * without entity changes the diff is empty; with a change it writes a migration whose class compiles, lists it
 * in index.ts, and applying it brings the database back to the entities.
 */
describe.each(DATABASES)('migration:create on %s', (kind) => {
  let work: string;
  let db: TestDatabase & { config: DatabaseConfig };
  let orm: Orm;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-migrations-'));
    fs.symlinkSync(path.join(__dirname, '..', '..', 'node_modules'), path.join(work, 'node_modules')); // the copies import @mikro-orm/migrations
    db = await seededDatabase(kind, 'small'); // a copy (SQLite: a file): the test drops an index and migrates
    orm = await createOrm(db.config);
    await migrate(orm);
  }, 120_000);
  afterAll(async () => {
    await orm?.close(true);
    await db?.drop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** A copy of the committed migrations folder of the dialect, so the test writes nothing into the checkout. */
  const copyOfMigrations = () => {
    const dir = fs.mkdtempSync(path.join(work, 'dir-'));
    fs.cpSync(migrationsDir(kind), dir, { recursive: true });
    return dir;
  };

  it('finds no change on a freshly migrated, seeded database', async () => {
    if (kind === 'sqlite') {
      const own = await orm.em.getConnection().execute(`select name from sqlite_master where name like 'sqlite_stat%'`);
      expect(own.map((t: { name: string }) => t.name)).toContain('sqlite_stat1'); // what used to crash the diff
    }
    const dir = copyOfMigrations();
    const before = fs.readdirSync(dir).sort();
    expect(await createMigration(orm, kind, 'add-nothing', dir)).toEqual({ file: null, className: null, statements: 0 });
    expect(fs.readdirSync(dir).sort()).toEqual(before);
  });

  it('writes a migration for a change, with a valid class name, listed in index.ts, that applies', async () => {
    await orm.em.getConnection().execute(kind === 'sqlite' ? 'drop index `accounts_name_index`' : 'drop index "accounts_name_index"');
    const dir = copyOfMigrations();
    const created = await createMigration(orm, kind, 'restore-account-name-index', dir);
    expect(created.className).toMatch(/^Migration\d{14}_restore_account_name_index$/);
    expect(created.statements).toBe(1);
    const source = fs.readFileSync(created.file!, 'utf8');
    expect(source).toContain(`export class ${created.className} extends Migration`);
    expect(source).toMatch(/create index \\?.accounts_name_index\\?. on \\?.accounts/);

    // index.ts lists it last; loading that list and migrating applies it, and the diff is empty again.
    const list = (await import(path.join(dir, 'index.ts')))[kind === 'sqlite' ? 'sqliteMigrations' : 'postgresqlMigrations'] as Array<{ name: string }>;
    expect(list.at(-1)!.name).toBe(created.className);
    const options = ormOptions(db.config);
    const withNew = await MikroORM.init({ ...options, migrations: { ...options.migrations, migrationsList: list as never } });
    try {
      expect(await migrate(withNew)).toEqual([created.className]);
      expect(await createMigration(withNew, kind, 'after', copyOfMigrations())).toMatchObject({ file: null });
    } finally {
      await withNew.close(true);
    }
  });
});

describe('migration names', () => {
  it('turn hyphens into a valid class-name suffix and refuse what cannot be one', () => {
    expect(migrationSuffix('add-forecast-snapshots')).toBe('add_forecast_snapshots');
    expect(migrationSuffix(' Add deal changes ')).toBe('Add_deal_changes');
    for (const bad of ['', '---', '2fast']) expect(() => migrationSuffix(bad)).toThrow(/--name .*e\.g\. --name add-forecast-snapshots/);
  });

  it('the real binary reports no change on a seeded SQLite file and writes nothing (exit 0)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-mc-cli-'));
    const db = await seededDatabase('sqlite', 'small');
    try {
      const env = { DATABASE_URL: db.config.url, MODELS_DIR: path.join(dir, 'models'), JWT_SECRET: 'x'.repeat(32) };
      const before = fs.readdirSync(migrationsDir('sqlite')).sort();
      const result = await runCli(['migration:create', '--name', 'add-nothing'], env);
      expect(result).toMatchObject({ code: 0, stdout: 'No changes: the sqlite database matches the entities.\n' });
      expect(fs.readdirSync(migrationsDir('sqlite')).sort()).toEqual(before);
      expect((await runCli(['migration:create', '--name', '9-lives'], env)).code).toBe(2);
    } finally {
      await db.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
