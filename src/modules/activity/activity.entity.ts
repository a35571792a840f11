import { DateTimeType, Entity, Enum, Index, ManyToOne, Property, type Rel } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { BaseEntity } from '../../shared/base.entity';
import { ActivityOutcome, ActivityType } from '../../shared/enums';
import { Rep } from '../rep/rep.entity';
import { Lead } from '../lead/lead.entity';
import { Deal } from '../deal/deal.entity';

@ObjectType({ description: 'A call, email, meeting, demo or note, on a lead or a deal.' })
@Entity({ tableName: 'activities' })
@Index({ properties: ['rep', 'at'] })
@Index({ properties: ['lead', 'at'] })
@Index({ properties: ['deal', 'at'] })
@Index({ properties: ['at', 'type'] })
export class Activity extends BaseEntity {
  @Field(() => ActivityType)
  @Enum({ items: () => ActivityType })
  type!: ActivityType;

  @ManyToOne(() => Rep, { nullable: true, deleteRule: 'set null' })
  rep?: Rel<Rep> | null;

  @ManyToOne(() => Lead, { nullable: true, deleteRule: 'cascade' })
  lead?: Rel<Lead> | null;

  @ManyToOne(() => Deal, { nullable: true, deleteRule: 'cascade' })
  deal?: Rel<Deal> | null;

  @Field(() => Date)
  @Property({ type: DateTimeType })
  at!: Date;

  @Field(() => ActivityOutcome)
  @Enum({ items: () => ActivityOutcome })
  outcome: ActivityOutcome = ActivityOutcome.NONE;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  notes?: string | null;

  @Field(() => String, { nullable: true, description: 'Identifier in the source CRM.' })
  @Property({ type: 'string', length: 120, nullable: true, unique: true })
  externalId?: string | null;
}
