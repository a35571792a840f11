/**
 * Training jobs: the registry row (TRAINING, with progress) is created at once, the training itself runs through
 * the injected trainer (a worker thread in the app, inline in the CLI), and the result is saved, registered
 * and activated when allowed. Also trains once per process, in the background, when the registry finds no
 * model that fits and enough history.
 */
import path from 'node:path';
import { MessageChannel, type Transferable } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Em, Orm } from '../../db/orm';
import { ConflictError } from '../../shared/errors';
import type { BackgroundWork } from './background-work';
import { heldForReview, registryFields, type ModelRegistry } from './model-registry';
import { ModelKind, ModelStatus, ModelVersion } from './scoring.entity';
import { InsufficientDataError } from './trainer';
import { loadExamples, openAgesDays, trainSettings } from './training-data';
import type { TrainTask, TrainTaskResult } from './training.task';

/** Trains a model from a task (examples, settings, the folder to save it in); `transfer` moves the progress port. */
export type Trainer = (task: TrainTask, transfer: Transferable[]) => Promise<TrainTaskResult>;

export interface TrainOptions {
  seed?: number;
  maxEpochs?: number;
  /** Use at most this many closed examples, the newest (default 200,000). */
  maxExamples?: number;
  /**
   * Activate when READY: true even over an active model, false never; by default only when no model of the
   * kind is active. A model the leakage guard acted on is never activated here, whatever this says: a person
   * reviews its report and calls activateModel.
   */
  activate?: boolean;
  onProgress?: (fraction: number, message: string) => void;
}

export interface TrainingDeps {
  orm: Orm;
  registry: ModelRegistry;
  background: BackgroundWork;
  logger: Logger;
  train: Trainer;
  /** Train in the background when no model fits and there is enough history. */
  autoTrain: boolean;
}

const versionName = (kind: ModelKind, at: Date) => `${kind.toLowerCase()}-${at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`;

/** Creates the registry row (TRAINING) and returns it; `BackgroundTraining.run` trains it. */
export async function createTrainingJob(em: Em, kind: ModelKind): Promise<ModelVersion> {
  const now = new Date();
  let version = versionName(kind, now);
  for (let n = 2; await em.findOne(ModelVersion, { version }); n++) version = `${versionName(kind, now)}-${n}`;
  const row = em.create(ModelVersion, { kind, version, status: ModelStatus.TRAINING, message: 'queued' });
  await em.flush();
  return row;
}

export class BackgroundTraining {
  private readonly autoStarted = new Set<ModelKind>();
  private stopped = false;

  constructor(private readonly deps: TrainingDeps) {}

  private em(): Em {
    return this.deps.orm.em.fork() as Em;
  }

  /** Enough history but no model that fits: train one in the background, once per process. */
  autoStart(kind: ModelKind): void {
    const { autoTrain, logger, background } = this.deps;
    if (!autoTrain || this.autoStarted.has(kind) || this.stopped) return;
    this.autoStarted.add(kind);
    logger.info({ kind }, 'scoring: no model fits this database and there is enough history: training one in the background');
    background.track(this.start(this.em(), kind)).catch((error: Error) => logger.warn({ err: error, kind }, 'scoring: background training could not start'));
  }

  /** trainModel mutation: the job row now, the training in the background. */
  async start(em: Em, kind: ModelKind): Promise<ModelVersion> {
    const { logger, background } = this.deps;
    const running = await em.count(ModelVersion, { kind, status: ModelStatus.TRAINING, updatedAt: { $gt: new Date(Date.now() - 30 * 60_000) } });
    if (running) throw new ConflictError(`A ${kind} model is already training; query models(kind: ${kind}) for its progress`);
    const row = await createTrainingJob(em, kind);
    logger.info({ kind, version: row.version, jobId: row.id }, `scoring: training a ${kind} model (${row.version}) in the background`);
    const started = Date.now();
    background.track(
      this.run(row.id).then((done) => {
        const fields = { kind, version: done.version, status: done.status, seconds: Math.round((Date.now() - started) / 100) / 10 };
        if (done.status === ModelStatus.READY) logger.info(fields, `scoring: ${kind} model ${done.version} trained${done.active ? ' and active' : ''}`);
        else logger.warn({ ...fields, message: done.message }, `scoring: ${kind} model ${done.version} not trained: ${done.message}`);
        return done;
      }),
    );
    return row;
  }

  /** Trains the job's model, saves it and marks the row READY (activating it when allowed) or FAILED. */
  async run(jobId: number, options: TrainOptions = {}): Promise<ModelVersion> {
    const { registry, logger } = this.deps;
    const em = this.em();
    const job = await em.findOneOrFail(ModelVersion, jobId);
    // Progress goes straight to the row (at most once a second), outside the unit of work that writes the result.
    let lastSaved = 0;
    let saving: Promise<unknown> = Promise.resolve();
    const progress = (fraction: number, message: string) => {
      options.onProgress?.(fraction, message);
      if (Date.now() - lastSaved < 1000) return;
      lastSaved = Date.now();
      const values = { progress: Math.round(fraction * 1000) / 1000, message, updatedAt: new Date() };
      saving = saving.then(() => this.em().nativeUpdate(ModelVersion, { id: jobId }, values)).catch(() => undefined);
    };
    const finish = async (values: Partial<ModelVersion>) => {
      await saving;
      const fresh = this.em();
      const row = await fresh.findOneOrFail(ModelVersion, jobId);
      fresh.assign(row, values);
      await fresh.flush();
      return row;
    };
    try {
      progress(0.01, 'loading closed examples');
      const examples = await loadExamples(em, job.kind, options.maxExamples);
      const relative = path.posix.join(job.kind.toLowerCase(), job.version);
      // The trainer reports progress over a message port (from a worker thread in the app).
      const channel = new MessageChannel();
      channel.port1.on('message', ({ fraction, message }: { fraction: number; message: string }) => progress(fraction, message));
      const settings = { ...trainSettings(job.kind, examples), openAgesDays: await openAgesDays(em, job.kind), seed: options.seed ?? 42, maxEpochs: options.maxEpochs };
      const task = { examples, settings, dir: path.join(registry.modelsDir, relative), version: job.version, progress: channel.port2 };
      const trained = await this.deps.train(task, [channel.port2]).finally(() => channel.port1.close());
      if ('insufficient' in trained) throw new InsufficientDataError(trained.insufficient.kind, trained.insufficient.counts, trained.insufficient.minimums);
      const { metadata } = trained;
      const activeExists = (await em.count(ModelVersion, { kind: job.kind, active: true })) > 0;
      const held = heldForReview(metadata);
      const row = await finish({ ...registryFields(metadata, relative), status: ModelStatus.READY, message: held ? `ready, not activated: ${metadata.leakage.message}` : 'ready' });
      if (held) logger.warn({ version: job.version, leakage: metadata.leakage.message }, 'scoring: the leakage guard acted; the model is not activated automatically');
      else if (options.activate ?? !activeExists) return await registry.activate(this.em(), job.version);
      return row;
    } catch (error) {
      if (!(error instanceof InsufficientDataError)) logger.error({ err: error, version: job.version }, 'scoring: training failed');
      return finish({ status: ModelStatus.FAILED, message: error instanceof InsufficientDataError ? error.message : `Training failed: ${(error as Error).message}` });
    }
  }

  stop(): void {
    this.stopped = true;
  }
}
