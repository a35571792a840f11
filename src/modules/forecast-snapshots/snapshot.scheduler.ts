/**
 * Runs the forecast snapshot job once per slot (a day by default) across every server sharing the database:
 * each server checks every minute; the one whose claim row (scheduled_runs, unique per job and slot) is inserted
 * first runs the job, the others see the conflict and skip. A claim still RUNNING after the lease (a server
 * that died mid-run) is taken over by the next server that checks.
 *
 * A run the server's own shutdown cancels (the worker pool closing under its forecast) is an expected end, not a
 * failure: the claim is released as CANCELLED (its message says why), logged as a warning,
 * and the next check of any server (the restarted one, 5 s after its start) runs the slot again at once.
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config';
import { dateValue, dialectOf } from '../../db/dialect';
import { cancelledByShutdown } from '../../shared/workers/pool';
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
  // a claim whose holder died before finishing, or cancelled by its server's shutdown: take it over (one statement,
  // so only one taker wins)
  const res = (await em.execute(
    knex('scheduled_runs')
      .update({ instance, status: RunStatus.RUNNING, started_at: ts(now), updated_at: ts(now), finished_at: null, message: null })
      .where({ job, slot })
      .where((q) => q.where({ status: RunStatus.CANCELLED }).orWhere((running) => running.where({ status: RunStatus.RUNNING }).where('started_at', '<', ts(new Date(now.getTime() - LEASE_MS)))))
      .returning('id'),
  )) as unknown[];
  return res.length > 0;
}

export async function finishSlot(em: Em, job: string, slot: string, status: RunStatus, message: string | null): Promise<void> {
  await em.nativeUpdate(ScheduledRun, { job, slot }, { status, finishedAt: new Date(), message });
}

/** Gives up `instance`'s claim on (job, slot) after its shutdown cancelled the run: the next check takes it over at once. */
export async function releaseSlot(em: Em, job: string, slot: string, instance: string, message: string): Promise<void> {
  await em.nativeUpdate(ScheduledRun, { job, slot, instance, status: RunStatus.RUNNING }, { status: RunStatus.CANCELLED, finishedAt: new Date(), message });
}

export interface SnapshotScheduler {
  /** Runs one check now (tests, and the first check at start). Resolves with whether this instance ran the job. */
  tick(now?: Date): Promise<boolean>;
  /**
   * No more checks, and a running backfill stops between forecasts; resolves when the run in progress has ended. The
   * app calls it before closing the worker pool, so a forecast the pool's close cancels is known as a cancellation.
   */
  stop(): Promise<void>;
}

/** The run stopped at a shutdown between two steps (no forecast was interrupted). */
class ShutdownCancellation extends Error {}

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
        if (stopped) throw new ShutdownCancellation(); // the backfill stopped early: today's snapshots are not started
        const rows = await takeForecastSnapshots(em, now);
        await finishSlot(em, SNAPSHOT_JOB, slot, RunStatus.DONE, `${rows} snapshot rows${backfilled ? `, ${backfilled} backfilled` : ''}`);
        logger.info({ job: SNAPSHOT_JOB, slot, rows, backfilled, durationMs: Date.now() - started }, 'forecast snapshots taken');
      } catch (error) {
        if (stopped && (error instanceof ShutdownCancellation || cancelledByShutdown(error))) {
          const message = 'cancelled: the server shut down during the run (the next check takes the slot over)';
          await releaseSlot(em, SNAPSHOT_JOB, slot, instance, message).catch(() => undefined);
          logger.warn({ job: SNAPSHOT_JOB, slot, durationMs: Date.now() - started }, 'forecast snapshots cancelled by the shutdown: the slot is left to the next check');
        } else {
          await finishSlot(em, SNAPSHOT_JOB, slot, RunStatus.FAILED, (error as Error).message.slice(0, 500)).catch(() => undefined);
          logger.error({ err: { message: (error as Error).message }, job: SNAPSHOT_JOB, slot }, 'forecast snapshots failed');
        }
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
