import { DateTimeType, Entity, Enum, Index, type Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, Float, ObjectType, registerEnumType } from 'type-graphql';
import { BaseEntity } from '../../shared/base.entity';

export enum ModelKind { LEAD = 'LEAD', DEAL = 'DEAL' }
export enum ModelStatus { TRAINING = 'TRAINING', READY = 'READY', FAILED = 'FAILED' }
registerEnumType(ModelKind, { name: 'ModelKind', description: 'LEAD: lead conversion; DEAL: deal win.' });
registerEnumType(ModelStatus, { name: 'ModelStatus' });

/**
 * The model registry: one row per trained (or training) model. The artifacts live in
 * `models/<kind>/<version>/`; `active` names the version every server instance serves.
 */
@ObjectType({ description: 'A trained scoring model: its holdout metrics, data window and status.' })
@Entity({ tableName: 'model_versions' })
@Index({ properties: ['kind', 'active'] })
export class ModelVersion extends BaseEntity {
  @Field(() => ModelKind)
  @Enum({ items: () => ModelKind })
  kind!: ModelKind;

  @Field({ description: 'Unique name, also the artifact folder: models/<kind>/<version>/.' })
  @Property({ type: 'string', length: 80, unique: true })
  version!: string;

  @Field(() => ModelStatus)
  @Enum({ items: () => ModelStatus })
  status: ModelStatus & Opt = ModelStatus.TRAINING;

  @Field(() => Boolean, { description: 'The version served for this kind.' })
  @Property({ type: 'boolean', default: false })
  active: boolean & Opt = false;

  /** Artifact folder, relative to the models directory. */
  @Property({ type: 'string', length: 300, nullable: true })
  path?: string | null;

  @Field(() => String, { nullable: true, description: 'logistic or mlp: the candidate kept by validation log loss.' })
  @Property({ type: 'string', length: 40, nullable: true })
  algorithm?: string | null;

  @Field(() => Float, { description: 'Training progress, 0..1.' })
  @Property({ type: 'double', default: 0 })
  progress: number & Opt = 0;

  @Field(() => String, { nullable: true, description: 'Last progress message, or why training failed.' })
  @Property({ type: 'text', nullable: true })
  message?: string | null;

  /** Holdout metrics, calibration, baselines, importance and feature choices (metadata.json without weights). */
  @Property({ type: 'json', nullable: true })
  report?: Record<string, unknown> | null;

  @Field(() => Date, { nullable: true, description: 'Oldest closed example used.' })
  @Property({ type: DateTimeType, nullable: true })
  dataFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Newest closed example used.' })
  @Property({ type: DateTimeType, nullable: true })
  dataTo?: Date | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: DateTimeType, nullable: true })
  trainedAt?: Date | null;
}

/** Columns shared by stored lead and deal scores. Only open records are kept: the queue is what is scored. */
abstract class StoredScore {
  @Property({ type: 'integer', nullable: true })
  ownerId?: number | null;

  @Property({ type: 'integer', nullable: true })
  teamId?: number | null;

  @Property({ type: 'double' })
  probability!: number;

  @Property({ type: 'smallint' })
  score!: number;

  @Property({ type: 'string', length: 1 })
  tier!: string;

  @Property({ type: 'json' })
  factors!: unknown[];

  @Property({ type: 'string', length: 80 })
  modelVersion!: string;

  @Property({ type: 'string', length: 10 })
  method!: string;

  @Property({ type: DateTimeType })
  scoredAt!: Date;
}

@Entity({ tableName: 'lead_scores' })
@Index({ name: 'lead_scores_queue_owner', properties: ['ownerId', 'probability', 'recordCreatedAt', 'leadId'] })
@Index({ name: 'lead_scores_queue_team', properties: ['teamId', 'probability', 'recordCreatedAt', 'leadId'] })
@Index({ name: 'lead_scores_queue_all', properties: ['probability', 'recordCreatedAt', 'leadId'] })
export class LeadScore extends StoredScore {
  @PrimaryKey({ type: 'integer', autoincrement: false })
  leadId!: number;

  @Property({ type: 'string', length: 20 })
  status!: string;

  @Property({ type: 'string', length: 80, nullable: true })
  source?: string | null;

  /** The lead's creation time: ties in the queue go to the most recent lead. */
  @Property({ type: DateTimeType })
  recordCreatedAt!: Date;
}

@Entity({ tableName: 'deal_scores' })
@Index({ name: 'deal_scores_owner', properties: ['ownerId', 'probability', 'dealId'] })
export class DealScore extends StoredScore {
  @PrimaryKey({ type: 'integer', autoincrement: false })
  dealId!: number;

  @Property({ type: 'integer', nullable: true })
  stageId?: number | null;

  @Property({ type: DateTimeType })
  recordCreatedAt!: Date;
}
