import fs from 'node:fs';
import pino from 'pino';
import { createApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import { RunStatus, ScheduledRun } from '../../src/modules/forecast-snapshots/scheduled-run.entity';
import { SNAPSHOT_JOB, slotOf } from '../../src/modules/forecast-snapshots/snapshot.scheduler';
import { DATABASES, tempModelsDir } from '../helpers/databases';
import { seededDatabase } from '../helpers/seeded-world';
import type { TestDatabase } from '../helpers/templates';

/** A real app (worker pool, scheduler) over `db`, its JSON log lines kept in `lines`. */
async function appWithLog(db: TestDatabase, modelsDir: string, lines: Array<{ level: number; msg: string }>): Promise<App> {
  const config = loadConfig({ NODE_ENV: 'test' }, { database: db.config, seedDemoWhenEmpty: false, modelsDir });
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return createApp({ ...config, forecastSnapshots: { everyHours: 24, backfillQuarters: 0 } }, { logger });
}

const until = async (condition: () => boolean, timeoutMs = 60_000) => {
  const giveUpAt = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > giveUpAt) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe.each(DATABASES)('a forecast snapshot run on %s', (kind) => {
  let db: TestDatabase;
  let modelsDir: string;
  beforeAll(async () => {
    db = await seededDatabase(kind, 'small');
    modelsDir = tempModelsDir();
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
    if (modelsDir) fs.rmSync(modelsDir, { recursive: true, force: true });
  });
  const runOf = (app: App, slot: string) => app.orm.em.fork().findOneOrFail(ScheduledRun, { job: SNAPSHOT_JOB, slot });

  it('cancelled by the shutdown closing the worker pool is recorded and logged as cancelled, not failed, and the next server runs the slot', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const app = await appWithLog(db, modelsDir, lines);
    const now = new Date();
    const slot = slotOf(now.getTime(), 86_400_000);
    let ran: Promise<boolean>;
    try {
      ran = app.snapshots.tick(now);
      await until(() => app.workers.stats.pending > 0); // a forecast handed to a worker thread
    } finally {
      await app.stop(); // what SIGTERM does: drain, close the pool under the running forecast, close the database
    }
    expect(await ran).toBe(true);

    const errors = lines.filter((l) => l.level >= 50);
    expect(errors).toEqual([]);
    expect(lines.filter((l) => /cancel/.test(l.msg)).map((l) => l.level)).toEqual([40]); // one warning

    const next = await appWithLog(db, modelsDir, []);
    try {
      const run = await runOf(next, slot);
      expect(run.status).toBe(RunStatus.CANCELLED);
      expect(run.message).toMatch(/^cancelled: the server shut down/);
      expect(run.finishedAt).toBeInstanceOf(Date);
      // the restarted server takes the released claim over at once (no hour-long lease to wait out)
      expect(await next.snapshots.tick(new Date(now.getTime() + 60_000))).toBe(true);
      const done = await runOf(next, slot);
      expect([done.status, done.message]).toEqual([RunStatus.DONE, expect.stringMatching(/^\d+ snapshot rows$/)]);
    } finally {
      await next.stop();
    }
  }, 120_000);

  it('that genuinely fails is still recorded as FAILED and logged as an error', async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const app = await appWithLog(db, modelsDir, lines);
    const tomorrow = new Date(Date.now() + 86_400_000);
    const conn = app.orm.em.getConnection();
    // the snapshots cannot be stored: a real database error, not a shutdown
    await conn.execute('alter table forecast_snapshots rename to forecast_snapshots_away');
    try {
      expect(await app.snapshots.tick(tomorrow)).toBe(true);
    } finally {
      await conn.execute('alter table forecast_snapshots_away rename to forecast_snapshots');
      await app.stop();
    }
    const next = await appWithLog(db, modelsDir, []);
    try {
      expect((await runOf(next, slotOf(tomorrow.getTime(), 86_400_000))).status).toBe(RunStatus.FAILED);
    } finally {
      await next.stop();
    }
    expect(lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual(['forecast snapshots failed']);
  }, 120_000);
});
