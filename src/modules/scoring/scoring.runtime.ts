/**
 * Scoring for one app, wired once: the model registry (which version serves), the score store (what the queue
 * reads), the rescoring subscriber (changed records and the sweep) and background training. createApp starts
 * it and hands it to every request's context; the CLI starts its own.
 */
import type { Logger } from 'pino';
import type { AppConfig } from '../../config';
import type { Em, Orm } from '../../db/orm';
import { InlineWork, type HeavyWork } from '../../shared/workers/pool';
import { BackgroundTraining, type Trainer } from './background-training';
import { BackgroundWork } from './background-work';
import { ModelRegistry } from './model-registry';
import { RescoringSubscriber } from './rescoring.subscriber';
import { ScoreStore } from './score-store';

export interface RuntimeOptions {
  /** How often the active model version is re-read from the database (ms). */
  registryCheckMs?: number;
  /** Background sweep for unscored / stale open records (ms); 0 disables it. */
  sweepMs?: number;
  /** Train in the background when no model fits and there is enough history (default: outside tests). */
  autoTrain?: boolean;
  /** Records read and scored at a time by bulk scoring (default 10,000). */
  chunkSize?: number;
  /** Where training and bulk scoring run (the app's worker pool; inline by default). */
  work?: HeavyWork;
  /** Trains a model (default: the `train` task on `work`). */
  train?: Trainer;
}

export class ScoringRuntime {
  readonly registry: ModelRegistry;
  readonly store: ScoreStore;
  readonly subscriber: RescoringSubscriber;
  readonly training: BackgroundTraining;
  readonly background = new BackgroundWork();

  constructor(
    private readonly orm: Orm,
    config: Readonly<AppConfig>,
    readonly logger: Logger,
    options: RuntimeOptions = {},
  ) {
    const work = options.work ?? new InlineWork();
    this.registry = new ModelRegistry(orm, config, logger, {
      checkMs: options.registryCheckMs,
      onUntrained: (kind) => this.training.autoStart(kind),
      // Stored scores follow the new model in the background (the sweep would get there too).
      onActivated: (kind) =>
        void this.background.track(this.store.rescoreAll(kind)).catch((error: Error) => logger.warn({ err: error, kind }, 'scoring: rescore after activation failed')),
    });
    this.store = new ScoreStore(orm, this.registry, work, options.chunkSize);
    // No background sweep in tests (other features' test apps should not pay for it); the first queue read sweeps.
    this.subscriber = new RescoringSubscriber(orm, this.store, this.background, logger, options.sweepMs ?? (config.env === 'test' ? 0 : 60_000));
    this.training = new BackgroundTraining({
      orm,
      registry: this.registry,
      background: this.background,
      logger,
      train: options.train ?? ((task, transfer) => work.run('train', task, {}, transfer)),
      autoTrain: options.autoTrain ?? config.env !== 'test',
    });
  }

  /** A fresh entity manager for work outside a request. */
  em(): Em {
    return this.orm.em.fork() as Em;
  }

  /** Waits for automatic scoring already scheduled and background work (tests and the CLI, before reading stored scores). */
  async idle(): Promise<void> {
    this.subscriber.flush();
    await this.background.idle();
  }

  async stop(): Promise<void> {
    this.subscriber.stop();
    this.training.stop();
    await this.background.idle();
  }
}

/** Starts scoring for an app: the runtime, with its subscriber registered on the ORM's event manager. */
export function startScoring(orm: Orm, config: Readonly<AppConfig>, logger: Logger, options?: RuntimeOptions): ScoringRuntime {
  const runtime = new ScoringRuntime(orm, config, logger, options);
  orm.em.getEventManager().registerSubscriber(runtime.subscriber);
  return runtime;
}
