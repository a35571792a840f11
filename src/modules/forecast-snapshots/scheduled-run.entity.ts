import { DateTimeType, Entity, Enum, Property, Unique } from '@mikro-orm/core';
import { BaseEntity } from '../../shared/base.entity';

/** CANCELLED: the server's own shutdown cut the run off; the next check of any server runs the slot again. */
export enum RunStatus { RUNNING = 'RUNNING', DONE = 'DONE', FAILED = 'FAILED', CANCELLED = 'CANCELLED' }

/**
 * One run of a scheduled job for one time slot. The unique (job, slot) row is the claim: when several servers
 * share the database, the one whose insert lands runs the job; the others see the conflict and skip it. A claim
 * left RUNNING past its lease (its server died) can be taken over, and so can one RUNNING with a finish time: its
 * server's shutdown cancelled the run and released the claim (the message says so).
 */
@Entity({ tableName: 'scheduled_runs' })
@Unique({ properties: ['job', 'slot'] })
export class ScheduledRun extends BaseEntity {
  @Property({ type: 'string', length: 60 })
  job!: string;

  /** Start of the slot (e.g. the day) as an ISO instant. */
  @Property({ type: 'string', length: 40 })
  slot!: string;

  /** Which server process holds the claim (host:pid:random). */
  @Property({ type: 'string', length: 120 })
  instance!: string;

  @Enum({ items: () => RunStatus })
  status!: RunStatus;

  @Property({ type: DateTimeType })
  startedAt!: Date;

  @Property({ type: DateTimeType, nullable: true })
  finishedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  message?: string | null;
}
