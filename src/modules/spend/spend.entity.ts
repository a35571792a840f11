import { BigIntType, DateTimeType, Entity, Enum, Index, OptionalProps, Property } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { BaseEntity } from '../../shared/base.entity';
import { SpendCategory } from '../../shared/enums';
import { MoneyScalar, toMajor } from '../../graphql/money.scalar';

@ObjectType({ description: 'Sales or marketing cost over a period (salaries, commissions, ads, tools, events): the CAC numerator.' })
@Entity({ tableName: 'spend' })
@Index({ properties: ['periodStart', 'periodEnd'] })
export class Spend extends BaseEntity {
  [OptionalProps]?: 'amount' | 'createdAt' | 'updatedAt';

  @Field(() => Date, { description: 'Inclusive start of the period the spend covers.' })
  @Property({ type: DateTimeType })
  periodStart!: Date;

  @Field(() => Date, { description: 'Exclusive end of the period.' })
  @Property({ type: DateTimeType })
  periodEnd!: Date;

  @Field(() => SpendCategory)
  @Enum({ items: () => SpendCategory })
  category!: SpendCategory;

  @Field(() => String, { nullable: true, description: 'Lead source / channel the spend bought, when it is channel spend.' })
  @Property({ type: 'string', length: 80, nullable: true })
  channel?: string | null;

  @Property({ type: new BigIntType('number') })
  amountCents!: number;

  @Field(() => MoneyScalar, { name: 'amount' })
  get amount(): number {
    return toMajor(this.amountCents);
  }
}
