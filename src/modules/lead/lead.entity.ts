import { BigIntType, DateTimeType, Entity, Enum, Index, ManyToOne, OptionalProps, Property, type Rel } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { BaseEntity } from '../../shared/base.entity';
import { LeadStatus } from '../../shared/enums';
import { MoneyScalar, toMajor } from '../../graphql/money.scalar';
import { Account } from '../account/account.entity';
import { Rep } from '../rep/rep.entity';
import type { Deal } from '../deal/deal.entity';

@ObjectType({ description: 'A prospect (person at a company) worked by an SDR until converted or disqualified.' })
@Entity({ tableName: 'leads' })
@Index({ properties: ['owner', 'status'] })
@Index({ properties: ['status', 'createdAt'] })
// An account's leads and the account access filter (SQLite indexes foreign keys itself; PostgreSQL does not).
@Index({ name: 'leads_account_id_index', properties: ['account'] })
export class Lead extends BaseEntity {
  [OptionalProps]?: 'budget' | 'status' | 'attributes' | 'version' | 'createdAt' | 'updatedAt';

  @Field()
  @Property({ type: 'string', length: 160, index: true })
  name!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 254, nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 40, nullable: true })
  phone?: string | null;

  @Field(() => String, { nullable: true, description: 'Job title of the contact.' })
  @Property({ type: 'string', length: 120, nullable: true })
  title?: string | null;

  @Field(() => String, { nullable: true, description: 'Company name as the lead gave it.' })
  @Property({ type: 'string', length: 200, nullable: true, index: true })
  company?: string | null;

  /** The matching account, when known: its firmographics feed scoring. */
  @ManyToOne(() => Account, { nullable: true, deleteRule: 'set null' })
  account?: Rel<Account> | null;

  @Field(() => String, { nullable: true, description: 'Lead source / channel, e.g. Referral, Paid Ads, Webinar.' })
  @Property({ type: 'string', length: 80, nullable: true, index: true })
  source?: string | null;

  @Field(() => LeadStatus)
  @Enum({ items: () => LeadStatus, index: true })
  status: LeadStatus = LeadStatus.NEW;

  @ManyToOne(() => Rep, { nullable: true, deleteRule: 'set null' })
  owner?: Rel<Rep> | null;

  @Field(() => Date, { nullable: true, description: 'Marketing-qualified at.' })
  @Property({ type: DateTimeType, nullable: true })
  mqlAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Sales-qualified (status QUALIFIED) at.' })
  @Property({ type: DateTimeType, nullable: true })
  sqlAt?: Date | null;

  @Field(() => Date, { nullable: true })
  @Property({ type: DateTimeType, nullable: true })
  firstContactedAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the lead was converted or disqualified.' })
  @Property({ type: DateTimeType, nullable: true })
  closedAt?: Date | null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 200, nullable: true })
  disqualificationReason?: string | null;

  // BANT: Budget, Authority, Need, Timeline.
  @Property({ type: new BigIntType('number'), nullable: true })
  budgetCents?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'BANT: a decision maker is identified.' })
  @Property({ type: 'boolean', nullable: true })
  hasAuthority?: boolean | null;

  @Field(() => Boolean, { nullable: true, description: 'BANT: the need is confirmed.' })
  @Property({ type: 'boolean', nullable: true })
  hasNeed?: boolean | null;

  @Field(() => Int, { nullable: true, description: 'BANT: months until the buying decision.' })
  @Property({ type: 'integer', nullable: true })
  timelineMonths?: number | null;

  @ManyToOne('Deal', { nullable: true, deleteRule: 'set null' })
  convertedDeal?: Rel<Deal> | null;

  @Field(() => GraphQLJSONObject, { description: 'Custom fields carried over from a CRM export.' })
  @Property({ type: 'json' })
  attributes: Record<string, string | number | boolean | null> = {};

  @Field(() => String, { nullable: true, description: 'Identifier in the source CRM.' })
  @Property({ type: 'string', length: 120, nullable: true, unique: true })
  externalId?: string | null;

  @Field(() => Int, { description: 'Optimistic-lock version: send it back with updates.' })
  @Property({ type: 'integer', version: true })
  version!: number;

  @Field(() => MoneyScalar, { nullable: true, name: 'budget', description: 'BANT: confirmed budget.' })
  get budget(): number | null {
    return this.budgetCents == null ? null : toMajor(this.budgetCents);
  }
}
