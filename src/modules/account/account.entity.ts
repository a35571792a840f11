import { BigIntType, Entity, Enum, ManyToOne, Property, type Rel, OptionalProps } from '@mikro-orm/core';
import { Field, Int, ObjectType } from 'type-graphql';
import { BaseEntity } from '../../shared/base.entity';
import { AccountSegment } from '../../shared/enums';
import { MoneyScalar, toMajor } from '../../graphql/money.scalar';

@ObjectType({ description: 'A customer or prospect company.' })
@Entity({ tableName: 'accounts' })
export class Account extends BaseEntity {
  [OptionalProps]?: 'annualRevenue' | 'createdAt' | 'updatedAt';

  @Field()
  @Property({ type: 'string', length: 200, index: true })
  name!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 80, nullable: true, index: true })
  sector?: string | null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 80, nullable: true })
  country?: string | null;

  @Field(() => Int, { nullable: true })
  @Property({ type: 'integer', nullable: true })
  employees?: number | null;

  @Property({ type: new BigIntType('number'), nullable: true })
  annualRevenueCents?: number | null;

  @Field(() => AccountSegment, { nullable: true, description: 'Value segment: A = highest potential.' })
  @Enum({ items: () => AccountSegment, nullable: true, index: true })
  segment?: AccountSegment | null;

  @ManyToOne(() => Account, { nullable: true, deleteRule: 'set null' })
  parent?: Rel<Account> | null;

  @Field(() => String, { nullable: true, description: 'Identifier in the source CRM.' })
  @Property({ type: 'string', length: 120, nullable: true, unique: true })
  externalId?: string | null;

  @Field(() => MoneyScalar, { nullable: true, name: 'annualRevenue' })
  get annualRevenue(): number | null {
    return this.annualRevenueCents == null ? null : toMajor(this.annualRevenueCents);
  }
}
