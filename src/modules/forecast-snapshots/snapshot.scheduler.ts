/**
 * Runs the forecast snapshot job once per slot (a day by default) across every server sharing the database:
 * each server checks every minute; the one whose claim row (scheduled_runs, unique per job and slot) is inserted
 * first runs the job, the others see the conflict and skip. A claim still RUNNING after the lease (a server
 * that died mid-run) is taken over by the next server that checks.
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config';
import { dateValue, dialectOf } from '../../db/dialect';
import type { Em, Orm } from '../../db/orm';
import { RunStatus, ScheduledRun } from './scheduled-run.entity';
import { backfillWeeklySnapshots, takeForecastSnapshots } from './snapshot.service';

export const SNAPSHOT_JOB = 'forecast-snapshots';
const LEASE_MS = 60 * 60_000;
const CHECK_EVERY_MS = 60_000;

export const slotOf = (now: number, everyMs: number) => new Date(Math.floor(now / everyMs) * everyMs).toISOString();

/** Claims (job, slot) for `instance`; true when this caller should run it. */
export async function claimSlot(em: Em, job: string, slot: string, instance: string, now = new Date()): Promise<boolean> {
  const knex = em.getKnex();
  const dialect = dialectOf(em);
  const ts = (d: Date) => dateValue(dialect, d);
  const inserted = (await em.execute(
    knex.raw(
      `insert into scheduled_runs (created_at, updated_at, job, slot, instance, status, started_at) values (?, ?, ?, ?, ?, ?, ?)
       on conflict (job, slot) do nothing returning id`,
      [ts(now), ts(now), job, slot, instance, RunStatus.RUNNING, ts(now)],
    ),
  )) as unknown[];
  if (inserted.length) return true;
  // a claim whose holder died before finishing: take it over (one statement, so only one taker wins)
  const res = (await em.execute(
    knex('scheduled_runs')
      .update({ instance, started_at: ts(now), updated_at: ts(now) })
      .where({ job, slot, status: RunStatus.RUNNING })
      .where('started_at', '<', ts(new Date(now.getTime() - LEASE_MS)))
      .returning('id'),
  )) as unknown[];
  return res.length > 0;
}

export async function finishSlot(em: Em, job: string, slot: string, status: RunStatus, message: string | null): Promise<void> {
  await em.nativeUpdate(ScheduledRun, { job, slot }, { status, finishedAt: new Date(), message });
}

export interface SnapshotScheduler {
  /** Runs one check now (tests, and the first check at start). Resolves with whether this instance ran the job. */
  tick(now?: Date): Promise<boolean>;
  stop(): Promise<void>;
}

export function startSnapshotScheduler(orm: Orm, config: Readonly<AppConfig>, logger: Logger, instance = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`): SnapshotScheduler {
  const everyMs = config.forecastSnapshots.everyHours * 3_600_000;
  let running: Promise<boolean> | null = null;
  let stopped = false;

  const tick = (now = new Date()): Promise<boolean> => {
    if (stopped || !everyMs) return Promise.resolve(false);
    running ??= (async () => {
      const em = orm.em.fork() as Em;
      const slot = slotOf(now.getTime(), everyMs);
      try {
        if (!(await claimSlot(em, SNAPSHOT_JOB, slot, instance, now))) return false;
      } catch (error) {
        logger.warn({ err: { message: (error as Error).message }, job: SNAPSHOT_JOB }, 'could not claim the forecast snapshot slot');
        return false;
      }
      const started = Date.now();
      try {
        // a stopping server does not wait for the whole backfill: it stops between forecasts
        const backfilled = config.forecastSnapshots.backfillQuarters ? await backfillWeeklySnapshots(em, config.forecastSnapshots.backfillQuarters, now, () => stopped) : 0;
        const rows = await takeForecastSnapshots(em, now);
        await finishSlot(em, SNAPSHOT_JOB, slot, RunStatus.DONE, `${rows} snapshot rows${backfilled ? `, ${backfilled} backfilled` : ''}`);
        logger.info({ job: SNAPSHOT_JOB, slot, rows, backfilled, durationMs: Date.now() - started }, 'forecast snapshots taken');
      } catch (error) {
        await finishSlot(em, SNAPSHOT_JOB, slot, RunStatus.FAILED, (error as Error).message.slice(0, 500)).catch(() => undefined);
        logger.error({ err: { message: (error as Error).message }, job: SNAPSHOT_JOB, slot }, 'forecast snapshots failed');
      }
      return true;
    })().finally(() => {
      running = null;
    });
    return running;
  };

  const timer = everyMs ? setInterval(() => void tick(), Math.min(CHECK_EVERY_MS, everyMs)) : null;
  timer?.unref();
  const first = everyMs ? setTimeout(() => void tick(), 5_000) : null;
  first?.unref();
  return {
    tick,
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      if (first) clearTimeout(first);
      await running?.catch(() => undefined);
    },
  };
}
