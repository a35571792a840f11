/**
 * Keeps stored scores fresh without a manual step: a MikroORM subscriber scores records changed through the
 * API right after their transaction commits, and a background sweep scores rows written behind the ORM's back
 * (imports, the seed) or scored by an older model.
 */
import type { EventSubscriber, FlushEventArgs } from '@mikro-orm/core';
import type { Logger } from 'pino';
import type { Em, Orm } from '../../db/orm';
import type { BackgroundWork } from './background-work';
import { ALL_KINDS } from './model-kinds';
import type { ScoreStore } from './score-store';
import type { ModelKind } from './scoring.entity';

/** Changes are scored this long after the last flush (debounced: after the transaction has committed). */
const DEBOUNCE_MS = 30;

export class RescoringSubscriber implements EventSubscriber {
  private readonly pending = new Map<ModelKind, Set<number>>(ALL_KINDS.map((d) => [d.kind, new Set<number>()]));
  private pendingTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly orm: Orm,
    private readonly store: ScoreStore,
    private readonly background: BackgroundWork,
    private readonly logger: Logger,
    /** Background sweep for unscored or stale open records (ms); 0 disables it. */
    sweepMs: number,
  ) {
    if (sweepMs > 0) {
      this.sweepTimer = setInterval(() => this.background.track(this.sweep()), sweepMs);
      this.sweepTimer.unref();
    }
  }

  getSubscribedEntities() {
    return [...new Set(ALL_KINDS.flatMap((d) => d.entities))];
  }

  afterFlush(args: FlushEventArgs): void {
    if (this.stopped) return;
    for (const cs of args.uow.getChangeSets()) {
      for (const d of ALL_KINDS) {
        const id = d.touchedBy(cs.entity);
        if (id) this.pending.get(d.kind)!.add(id);
      }
    }
    this.schedule();
  }

  afterTransactionCommit(): void {
    if (this.hasPending()) this.schedule();
  }

  /** Scores what is scheduled now instead of after the debounce (before reading stored scores). */
  flush(): void {
    if (this.pendingTimer && this.hasPending()) {
      clearTimeout(this.pendingTimer);
      this.background.track(this.processPending());
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.pendingTimer);
    clearInterval(this.sweepTimer);
  }

  private hasPending(): boolean {
    return [...this.pending.values()].some((ids) => ids.size > 0);
  }

  private schedule(): void {
    if (this.stopped || !this.hasPending()) return;
    clearTimeout(this.pendingTimer);
    this.pendingTimer = setTimeout(() => this.background.track(this.processPending()), DEBOUNCE_MS);
  }

  private async processPending(): Promise<void> {
    const work = [...this.pending].map(([kind, ids]) => ({ kind, ids: [...ids] }));
    for (const ids of this.pending.values()) ids.clear();
    try {
      const em = this.orm.em.fork() as Em;
      for (const { kind, ids } of work) if (ids.length) await this.store.score(em, kind, ids);
      for (const { kind, ids } of work) if (ids.length) this.store.changed(kind);
    } catch (error) {
      if (!this.stopped) this.logger.warn({ err: error }, 'scoring: automatic scoring of changed records failed (the sweep retries)');
    }
  }

  private async sweep(): Promise<void> {
    for (const { kind } of ALL_KINDS) {
      if (this.stopped) return;
      try {
        const n = await this.store.refreshStale(kind);
        if (n) this.logger.info({ kind, scored: n }, 'scoring: background sweep scored new or changed records');
      } catch (error) {
        if (!this.stopped) this.logger.warn({ err: error, kind }, 'scoring: background sweep failed');
      }
    }
  }
}
