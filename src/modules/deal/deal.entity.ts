import { BigIntType, DateTimeType, Entity, Enum, Index, ManyToOne, OptionalProps, Property, type Rel } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { BaseEntity } from '../../shared/base.entity';
import { DealStatus, ForecastCategory } from '../../shared/enums';
import { MoneyScalar, toMajor } from '../../graphql/money.scalar';
import { Account } from '../account/account.entity';
import { Rep } from '../rep/rep.entity';
import { Product } from '../product/product.entity';
import { PipelineStage } from '../pipeline/stage.entity';
import type { Lead } from '../lead/lead.entity';

@ObjectType({ description: 'A sales opportunity moving through the pipeline.' })
@Entity({ tableName: 'deals' })
@Index({ properties: ['status', 'closedAt'] })
// The deals page: one status, newest first (keyset on id) walks this index instead of sorting every open deal.
@Index({ properties: ['status', 'id'] })
@Index({ properties: ['owner', 'status'] })
@Index({ properties: ['stage', 'status'] })
@Index({ name: 'deals_kpi_closed_index', properties: ['status', 'closedAt', 'owner', 'amountCents', 'engagedAt', 'openedAt'] })
@Index({ name: 'deals_kpi_owner_closed_index', properties: ['owner', 'status', 'closedAt', 'amountCents', 'engagedAt', 'openedAt'] })
@Index({ name: 'deals_kpi_owner_opened_index', properties: ['owner', 'openedAt', 'amountCents'] })
// The deals list by last update (the app's default sort) or creation: keyset pages walk the index, no sort of every deal.
@Index({ name: 'deals_updated_at_index', properties: ['updatedAt'] })
@Index({ name: 'deals_created_at_index', properties: ['createdAt'] })
// An account's deals and the account access filter (SQLite indexes foreign keys itself; PostgreSQL does not: a
// manager's page of 20 account names read 76k of the team's deals at 1M deals).
@Index({ name: 'deals_account_id_index', properties: ['account'] })
// One status's deals by last update (SQLite sorted every open or won deal without it).
@Index({ name: 'deals_status_updated_at_index', properties: ['status', 'updatedAt'] })
// Pipeline movement: the deals expected in a period and every column its classification reads, from the index alone.
@Index({ name: 'deals_movement_index', properties: ['expectedCloseDate', 'status', 'closedAt', 'openedAt', 'createdAt', 'amountCents', 'owner'] })
export class Deal extends BaseEntity {
  [OptionalProps]?: 'amount' | 'status' | 'currency' | 'version' | 'stageHistoryKnown' | 'createdAt' | 'updatedAt';

  @Field()
  @Property({ type: 'string', length: 200 })
  name!: string;

  @ManyToOne(() => Account, { nullable: true, deleteRule: 'set null' })
  account?: Rel<Account> | null;

  @ManyToOne(() => Rep, { nullable: true, deleteRule: 'set null' })
  owner?: Rel<Rep> | null;

  @ManyToOne(() => Product, { nullable: true, deleteRule: 'set null' })
  product?: Rel<Product> | null;

  @Property({ type: new BigIntType('number') })
  amountCents!: number;

  @Field({ description: 'ISO 4217 code. KPIs assume one reporting currency.' })
  @Property({ type: 'string', length: 3 })
  currency: string = 'EUR';

  @ManyToOne(() => PipelineStage)
  stage!: Rel<PipelineStage>;

  /** Mirrors the stage's won/lost flags so open-pipeline queries use an index. */
  @Field(() => DealStatus)
  @Enum({ items: () => DealStatus })
  status: DealStatus = DealStatus.OPEN;

  /** The opportunity's creation date in the CRM; null when an import had none (dates unknown). */
  @Field(() => Date, { nullable: true, description: 'When the opportunity was opened; null when unknown (imported without dates).' })
  @Property({ type: DateTimeType, nullable: true, index: true })
  openedAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'First qualified contact: start of the sales cycle.' })
  @Property({ type: DateTimeType, nullable: true })
  engagedAt?: Date | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: DateTimeType, nullable: true })
  expectedCloseDate?: Date | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: DateTimeType, nullable: true })
  closedAt?: Date | null;

  /** When the deal entered its current stage (denormalised from the stage history for time-in-stage). */
  @Field(() => Date, { nullable: true })
  @Property({ type: DateTimeType, nullable: true })
  stageEnteredAt?: Date | null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 120, nullable: true, index: true })
  lossReason?: string | null;

  /**
   * False for a closed deal whose stages reached are not known (an import of a lost deal without per-stage dates
   * or a stage-at-loss column): its history holds only what is known, so "lost after its first stage" must be
   * read as "lost at an unknown stage", never as a loss at the first stage.
   */
  @Field({ description: 'False when the stages this closed deal reached are unknown (imported without stage history): do not read its history as complete.' })
  @Property({ type: 'boolean', default: true })
  stageHistoryKnown: boolean = true;

  @ManyToOne('Lead', { nullable: true, deleteRule: 'set null' })
  sourceLead?: Rel<Lead> | null;

  @Field(() => String, { nullable: true, description: 'Lead source of the lead this deal came from.' })
  @Property({ type: 'string', length: 80, nullable: true, index: true })
  source?: string | null;

  @Field(() => ForecastCategory, { nullable: true, description: 'Rep override of the forecast category.' })
  @Enum({ items: () => ForecastCategory, nullable: true })
  forecastCategory?: ForecastCategory | null;

  @Field(() => String, { nullable: true, description: 'Identifier in the source CRM.' })
  @Property({ type: 'string', length: 120, nullable: true, unique: true })
  externalId?: string | null;

  @Field(() => Int, { description: 'Optimistic-lock version: send it back with updates.' })
  @Property({ type: 'integer', version: true })
  version!: number;

  @Field(() => MoneyScalar, { name: 'amount' })
  get amount(): number {
    return toMajor(this.amountCents);
  }
}
