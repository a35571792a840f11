import path from 'node:path';
import { ConfigError, loadConfig, parseDatabaseUrl } from '../../src/config';

describe('parseDatabaseUrl', () => {
  it('selects PostgreSQL for postgres:// and postgresql:// URLs', () => {
    expect(parseDatabaseUrl('postgres://u:p@db:5432/sales', 7)).toEqual({ kind: 'postgresql', url: 'postgres://u:p@db:5432/sales', poolSize: 7 });
    expect(parseDatabaseUrl('postgresql://db/sales').kind).toBe('postgresql');
  });

  it('treats anything else as an SQLite file, resolved to an absolute path, with one connection', () => {
    expect(parseDatabaseUrl('sqlite:./x.db')).toEqual({ kind: 'sqlite', url: path.resolve('x.db'), poolSize: 1 });
    expect(parseDatabaseUrl(':memory:').url).toBe(':memory:');
    expect(parseDatabaseUrl(undefined).url.endsWith(path.join('data', 'pipewise.db'))).toBe(true);
  });
});

describe('loadConfig', () => {
  it('writes trained models beside the database (or into data/ for PostgreSQL), never into the checkout\'s models/', () => {
    const root = path.resolve(__dirname, '../..');
    const committed = path.join(root, 'models');
    const beside = loadConfig({ DATABASE_URL: '/srv/crm/pipewise.db' });
    expect([beside.modelsDir, beside.demoModelsDir]).toEqual([path.resolve('/srv/crm/models'), committed]);
    expect(loadConfig({}).modelsDir).toBe(path.join(root, 'data', 'models')); // beside the default ./data/pipewise.db
    expect(loadConfig({ DATABASE_URL: 'postgres://db/sales' }).modelsDir).toBe(path.join(root, 'data', 'models'));
    expect(loadConfig({}, { database: parseDatabaseUrl(':memory:') }).modelsDir).toBe(path.join(root, 'data', 'models'));
    // An explicit MODELS_DIR is the whole model store: the demo models are not mixed into it.
    const explicit = loadConfig({ MODELS_DIR: '/var/lib/pipewise/models', DATABASE_URL: '/srv/crm/pipewise.db' });
    expect([explicit.modelsDir, explicit.demoModelsDir]).toEqual([path.resolve('/var/lib/pipewise/models'), null]);
    for (const url of ['/srv/crm/pipewise.db', 'postgres://db/sales', undefined]) expect(loadConfig({ DATABASE_URL: url }).modelsDir).not.toBe(committed);
  });

  it('keeps the forecast facts beside the SQLite file, in data/ for PostgreSQL, nowhere in tests or in memory, or where FORECAST_FACTS_FILE says', () => {
    const root = path.resolve(__dirname, '../..');
    expect(loadConfig({ DATABASE_URL: '/srv/crm/pipewise.db' }).forecastFacts).toEqual({ file: path.resolve('/srv/crm/pipewise.db.forecast-facts'), warmOnStart: true });
    expect(loadConfig({ DATABASE_URL: 'postgres://u:secret@db.internal:6432/sales' }).forecastFacts.file).toBe(path.join(root, 'data', 'forecast-facts', 'db.internal-6432-sales.facts'));
    expect(loadConfig({ DATABASE_URL: 'postgres://db/sales' }).forecastFacts.file).toBe(path.join(root, 'data', 'forecast-facts', 'db-5432-sales.facts'));
    expect(loadConfig({ NODE_ENV: 'test', DATABASE_URL: '/srv/crm/pipewise.db' }).forecastFacts).toEqual({ file: null, warmOnStart: false });
    expect(loadConfig({}, { database: parseDatabaseUrl(':memory:') }).forecastFacts.file).toBeNull();
    expect(loadConfig({ FORECAST_FACTS_FILE: 'off', DATABASE_URL: '/srv/crm/pipewise.db' }).forecastFacts.file).toBeNull();
    expect(loadConfig({ NODE_ENV: 'test', FORECAST_FACTS_FILE: '/var/cache/pw.facts', FORECAST_FACTS_WARM: 'true' }).forecastFacts).toEqual({ file: '/var/cache/pw.facts', warmOnStart: true });
  });

  it('defaults to port 4000, development, seeding an empty database', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ env: 'development', port: 4000, seedDemoWhenEmpty: true, maxPageSize: 100 });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('does not seed demo data in production unless asked', () => {
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).seedDemoWhenEmpty).toBe(false);
  });

  it('rejects a malformed PORT with a message naming it', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT must be an integer between 0 and 65535/);
  });

  it('syncs SQLite at WAL checkpoints by default, every commit when asked, and refuses other modes', () => {
    expect(loadConfig({}).database.sqliteSynchronous).toBe('NORMAL');
    expect(loadConfig({ SQLITE_SYNCHRONOUS: 'full' }).database.sqliteSynchronous).toBe('FULL');
    expect(() => loadConfig({ SQLITE_SYNCHRONOUS: 'OFF' })).toThrow(/SQLITE_SYNCHRONOUS must be one of NORMAL, FULL/);
  });
});
