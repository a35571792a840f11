/**
 * CPU-heavy work (forecast, backtest, training, bulk scoring) off the event loop: a piscina pool of worker threads
 * running the pure entry points of src/shared/workers/tasks.ts, so one request's Monte Carlo never delays another's
 * page or /healthz. The request deadline cancels the work (an aborted task's thread is terminated), and each
 * caller may run only a few heavy tasks at a time.
 */
import os from 'node:os';
import path from 'node:path';
import type { Transferable } from 'node:worker_threads';
import Piscina from 'piscina';
import type { Logger } from 'pino';
import type { DatabaseConfig } from '../../config';
import { AppError } from '../errors';
import type { TaskName, Tasks } from './tasks';

export type { TaskName } from './tasks';
export type TaskInput<K extends TaskName> = Parameters<Tasks[K]>[0];
export type TaskOutput<K extends TaskName> = Awaited<ReturnType<Tasks[K]>>;
/**
 * A task's input, or a function that gets it (e.g. waits for the shared forecast facts): the caller's share of heavy
 * work is taken before it waits, so a request's heavy fields count from their start, in their order.
 */
export type TaskInputOrLater<K extends TaskName> = TaskInput<K> | (() => Promise<TaskInput<K>>);

const inputOf = <K extends TaskName>(input: TaskInputOrLater<K>): Promise<TaskInput<K>> | TaskInput<K> =>
  typeof input === 'function' ? (input as () => Promise<TaskInput<K>>)() : input;

/** Who asks and until when: the request's deadline signal and the caller the concurrency cap counts. */
export interface HeavyJob {
  signal?: AbortSignal;
  caller?: string;
}

export interface HeavyWork {
  /** The database a worker may open its own connection to (null: in-memory SQLite, or work runs inline). */
  readonly database: DatabaseConfig | null;
  /** Runs a task; `transfer` lists buffers (or ports) moved to the worker (the caller must not use them afterwards). */
  run<K extends TaskName>(name: K, input: TaskInputOrLater<K>, job?: HeavyJob, transfer?: Transferable[]): Promise<TaskOutput<K>>;
  close(): Promise<void>;
}

export interface WorkerPoolOptions {
  /** Worker threads (default: one less than the cores, at least 1: the event loop keeps a core). */
  threads?: number;
  /** Heavy tasks one caller may have running or queued at once. */
  perCaller?: number;
  /** Tasks waiting for a thread beyond which new ones are refused (the server is saturated). */
  maxQueue?: number;
  logger: Logger;
  /** The app's database: workers open their own connection to load what they compute on (not an in-memory one). */
  database?: DatabaseConfig;
}



/** Thrown when a caller already has its share of heavy work running, or the pool's queue is full. */
export class TooManyHeavyRequestsError extends AppError {
  constructor(message: string, retryAfterSeconds: number, extra: Record<string, unknown> = {}) {
    super('TOO_MANY_HEAVY_REQUESTS', message, { retryAfter: retryAfterSeconds, ...extra });
  }
}

/**
 * The work was cancelled because the pool is closing (the server shuts down): an expected end for a background job
 * caught mid-run, not a failure. Requests do not see it in a clean stop (the HTTP server drains before the pool closes).
 */
export class PoolClosedError extends AppError {
  constructor(task: string) {
    super('SERVICE_UNAVAILABLE', `The ${task} computation was cancelled: the server is shutting down`);
    this.name = 'PoolClosedError';
  }
}

/** Whether `error` is the end of work the pool's shutdown cancelled (see PoolClosedError). */
export const cancelledByShutdown = (error: unknown): boolean => error instanceof PoolClosedError;

/** The work was cancelled because the request's deadline passed (the HTTP layer answers 503 TIMEOUT). */
export class CancelledError extends AppError {
  constructor(task: string) {
    super('TIMEOUT', `The ${task} computation was cancelled: the request deadline passed`);
  }
}

export class WorkerPool implements HeavyWork {
  private piscina: Piscina | null = null;
  private readonly inflight = new Map<string, number>();
  private running = 0;
  private closed = false;
  private readonly perCaller: number;
  private readonly logger: Logger;

  readonly database: DatabaseConfig | null;

  constructor(private readonly options: WorkerPoolOptions) {
    this.database = options.database && options.database.url !== ':memory:' ? options.database : null;
    this.perCaller = options.perCaller ?? 2;
    this.logger = options.logger;
  }

  /** Started on first use (an app that never forecasts starts no thread), then one thread stays warm. */
  private threads(): Piscina {
    if (this.piscina) return this.piscina;
    // From dist/ the worker loads tasks.js; from src/ (Jest) it loads tasks.ts through the SWC register hook.
    const fromSource = path.extname(__filename) === '.ts';
    this.piscina = new Piscina({
      filename: path.join(__dirname, `tasks${path.extname(__filename)}`),
      // piscina 4 with minThreads 0 can leave the first task waiting for a thread that never starts
      minThreads: 1,
      maxThreads: this.options.threads ?? Math.max(1, os.availableParallelism() - 1),
      idleTimeout: 60_000,
      maxQueue: this.options.maxQueue ?? 64,
      ...(fromSource && { execArgv: [...process.execArgv, '--require', path.join(__dirname, 'ts-register.js')] }),
    });
    return this.piscina;
  }

  async run<K extends TaskName>(name: K, input: TaskInputOrLater<K>, job: HeavyJob = {}, transfer?: Transferable[]): Promise<TaskOutput<K>> {
    const { caller, signal } = job;
    if (this.closed) throw new PoolClosedError(name);
    if (signal?.aborted) throw new CancelledError(name);
    const held = caller ? (this.inflight.get(caller) ?? 0) : 0;
    if (caller && held >= this.perCaller) {
      throw new TooManyHeavyRequestsError(
        `You already have ${held} heavy computations (forecasts, backtests, stage statistics, training) running; at most ${this.perCaller} at a time: retry when one finishes`,
        1,
        { limit: this.perCaller },
      );
    }
    if (caller) this.inflight.set(caller, held + 1);
    const started = performance.now();
    let handed = false;
    try {
      const data = await inputOf(input);
      if (signal?.aborted) throw new CancelledError(name);
      if (this.closed) throw new PoolClosedError(name); // closed while its input loaded: start no new pool
      this.running++;
      handed = true;
      return (await this.threads().run({ task: name, input: data }, { signal: signal ?? null, transferList: transfer as never })) as TaskOutput<K>;
    } catch (error) {
      // piscina's destroy() ends running and queued tasks with this plain Error: the pool closed, nothing failed
      if (this.closed && handed && (error as Error).message === 'Terminating worker thread') throw new PoolClosedError(name);
      if ((error as Error).name === 'AbortError') {
        this.logger.warn({ task: name, caller, durationMs: Math.round(performance.now() - started) }, 'heavy task cancelled at the request deadline');
        throw new CancelledError(name);
      }
      if ((error as Error).message === 'Task queue is at limit') {
        throw new TooManyHeavyRequestsError('The server is saturated with heavy computations: retry shortly', 2);
      }
      throw error;
    } finally {
      if (handed) this.running--;
      if (caller) {
        const left = (this.inflight.get(caller) ?? 1) - 1;
        if (left > 0) this.inflight.set(caller, left);
        else this.inflight.delete(caller);
      }
    }
  }

  /** Threads alive, tasks handed to the pool and not yet settled (running or queued), tasks waiting for a thread. */
  get stats() {
    return { threads: this.piscina?.threads.length ?? 0, pending: this.running, queued: this.piscina?.queueSize ?? 0 };
  }

  /** Ends the threads: running and queued tasks reject with PoolClosedError, later runs too (no new pool starts). */
  async close(): Promise<void> {
    this.closed = true;
    await this.piscina?.destroy();
    this.piscina = null;
  }
}

/** Runs tasks on the calling thread: the CLI and scripts, where nothing else waits on the event loop. */
export class InlineWork implements HeavyWork {
  readonly database = null;

  async run<K extends TaskName>(name: K, input: TaskInputOrLater<K>, job: HeavyJob = {}): Promise<TaskOutput<K>> {
    if (job.signal?.aborted) throw new CancelledError(name);
    const data = await inputOf(input);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { TASKS } = require('./tasks') as { TASKS: Tasks };
    return (await (TASKS[name] as (input: TaskInput<K>) => unknown)(data)) as TaskOutput<K>;
  }

  async close(): Promise<void> {}
}

const registry = new WeakMap<object, HeavyWork>();
const inline = new InlineWork();

/** Attaches a pool to an ORM (createApp does); services find it through any fork of its entity manager. */
export function registerHeavyWork(em: { getEventManager(): object }, work: HeavyWork): void {
  registry.set(em.getEventManager(), work);
}

/** The pool of the app an entity manager belongs to; work runs inline where no app registered one (the CLI). */
export function heavyWorkOf(em: { getEventManager(): object }): HeavyWork {
  return registry.get(em.getEventManager()) ?? inline;
}
