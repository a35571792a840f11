import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDatabaseUrl } from '../../src/config';
import { createOrm } from '../../src/db/orm';

/** The pragmas every SQLite connection of the pool gets: WAL, the busy timeout, and the configured sync mode. */
describe('SQLite connection settings', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-pragmas-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const pragmas = async (file: string, settings: { sqliteSynchronous?: 'NORMAL' | 'FULL' }) => {
    const orm = await createOrm({ ...parseDatabaseUrl(path.join(dir, file)), busyTimeoutMs: 123, ...settings });
    try {
      const conn = orm.em.getConnection();
      const [mode] = await conn.execute('pragma journal_mode');
      const [sync] = await conn.execute('pragma synchronous');
      const [busy] = await conn.execute('pragma busy_timeout');
      return { journal: Object.values(mode)[0], synchronous: Object.values(sync)[0], busy: Object.values(busy)[0] };
    } finally {
      await orm.close();
    }
  };

  it('is WAL with synchronous NORMAL (1) by default, FULL (2) when configured', async () => {
    expect(await pragmas('default.db', {})).toEqual({ journal: 'wal', synchronous: 1, busy: 123 });
    expect(await pragmas('full.db', { sqliteSynchronous: 'FULL' })).toEqual({ journal: 'wal', synchronous: 2, busy: 123 });
  });
});
