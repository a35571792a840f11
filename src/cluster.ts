/**
 * Several HTTP server processes over one database (WEB_CONCURRENCY > 1): Node's cluster shares the listening
 * port between worker processes, each a whole app with its own connection pool and worker threads. This
 * supervisor starts the first process alone (it migrates and, in development, seeds an empty database), then
 * the others; restarts a process that dies (backing off while it keeps dying at start); and on SIGTERM/SIGINT
 * asks every process to drain and exits once they all have stopped.
 *
 * Exactly one process runs the background jobs (scoring's training and sweep, the forecast snapshot schedule):
 * the first one, or whichever replaced it.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { AppConfig } from './config';

/** Set by the supervisor for each server process: "true" for the one that runs the background jobs. */
const BACKGROUND_ENV = 'PIPEWISE_BACKGROUND_JOBS';
/** The message the supervisor sends a process to make it drain and exit (a signal could arrive twice). */
export const SHUTDOWN_MESSAGE = 'pipewise:shutdown';

/** Whether this process runs the background jobs: a lone server does; of a cluster, only the one chosen. */
export const runsBackgroundJobs = (env: NodeJS.ProcessEnv = process.env) => env[BACKGROUND_ENV] !== 'false';

/** A server process of a cluster (it answers with its pid in `x-pipewise-process`). */
export const isClusterWorker = () => cluster.isWorker;

/** The supervisor's side: true when this process should supervise instead of serving. */
export const supervises = (config: Readonly<AppConfig>) => config.processes > 1 && cluster.isPrimary;

export async function superviseCluster(config: Readonly<AppConfig>, logger: Logger): Promise<void> {
  const workers = new Map<number, Worker>();
  /** Processes that listen: they drain on request and must exit 0; one still starting is simply stopped. */
  const serving = new Set<Worker>();
  const failures = new Map<number, number>();
  let started = false;
  let stopping = false;
  let failed = false;

  const start = (slot: number) =>
    new Promise<Worker>((resolve, reject) => {
      const startedAt = Date.now();
      const worker = cluster.fork({ [BACKGROUND_ENV]: slot === 0 ? 'true' : 'false', PIPEWISE_PROCESS_SLOT: String(slot) });
      workers.set(slot, worker);
      worker.once('listening', () => {
        serving.add(worker);
        if (stopping) worker.send(SHUTDOWN_MESSAGE);
        resolve(worker);
      });
      worker.once('exit', (code, signal) => {
        if (workers.get(slot) === worker) workers.delete(slot);
        if (serving.delete(worker) && stopping && code !== 0) failed = true;
        reject(new Error(`server process ${slot} exited (${signal ?? code}) before listening`));
        if (stopping) return void (workers.size === 0 && stopped());
        if (!started) return;
        // A process that keeps dying within 10 s waits longer each time (1, 2, 4 ... 30 s): no fork loop.
        const quick = Date.now() - startedAt < 10_000;
        const n = quick ? (failures.get(slot) ?? 0) + 1 : 0;
        failures.set(slot, n);
        const delay = n ? Math.min(30_000, 1000 * 2 ** (n - 1)) : 0;
        logger.error({ slot, pid: worker.process.pid, code, signal, restartInMs: delay }, 'a server process died: starting a new one');
        setTimeout(() => {
          if (!stopping) start(slot).then((w) => logger.info({ slot, pid: w.process.pid }, 'server process replaced'), () => undefined);
        }, delay).unref();
      });
    });

  const stopped = () => {
    logger.info(failed ? 'stopped (a server process did not stop cleanly)' : 'stopped cleanly');
    process.exit(failed ? 1 : 0);
  };

  // Signals are handled from the first moment: a stop during start-up stops the processes already started.
  const shutdown = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: stopping every server process now');
      for (const worker of workers.values()) worker.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, processes: workers.size }, 'shutting down: every server process finishes its in-flight requests');
    for (const worker of workers.values()) {
      if (serving.has(worker) && worker.isConnected()) worker.send(SHUTDOWN_MESSAGE);
      else worker.process.kill('SIGTERM'); // still starting: it serves nothing yet
    }
    const timer = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'server processes did not stop in time: killing them');
      for (const worker of workers.values()) worker.process.kill('SIGKILL');
      process.exit(1);
    }, config.shutdownTimeoutMs + 2000);
    timer.unref();
    if (workers.size === 0) stopped();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  try {
    await start(0); // migrates and seeds before the others open the database
    await Promise.all(Array.from({ length: config.processes - 1 }, (_, i) => start(i + 1)));
  } catch {
    if (stopping) return; // asked to stop while starting: shutdown() finishes
    stopping = true;
    for (const worker of workers.values()) worker.process.kill('SIGTERM');
    process.exit(1); // the process that could not start has said why, in one line: nothing to add
  }
  started = true;
  logger.info({ processes: config.processes, pids: [...workers.values()].map((w) => w.process.pid), workerThreads: config.workers.threads }, `${config.processes} server processes, ${config.workers.threads} worker thread(s) each`);
}
