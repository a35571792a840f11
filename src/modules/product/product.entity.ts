import { BigIntType, Entity, Property, OptionalProps } from '@mikro-orm/core';
import { Field, Float, ObjectType } from 'type-graphql';
import { BaseEntity } from '../../shared/base.entity';
import { MoneyScalar, toMajor } from '../../graphql/money.scalar';
import { Financial } from '../auth/financial.middleware';

@ObjectType({ description: 'Something the company sells.' })
@Entity({ tableName: 'products' })
export class Product extends BaseEntity {
  [OptionalProps]?: 'listPrice' | 'unitCost' | 'grossMarginRate' | 'createdAt' | 'updatedAt';

  @Field()
  @Property({ type: 'string', length: 160, unique: true })
  name!: string;

  @Field()
  @Property({ type: 'string', length: 80, index: true })
  family!: string;

  @Property({ type: new BigIntType('number') })
  listPriceCents!: number;

  /** Cost to serve one unit; margin data, shown to managers and above. */
  @Property({ type: new BigIntType('number'), nullable: true })
  unitCostCents?: number | null;

  @Field(() => String, { nullable: true, description: 'Identifier in the source CRM.' })
  @Property({ type: 'string', length: 120, nullable: true, unique: true })
  externalId?: string | null;

  @Field(() => MoneyScalar, { name: 'listPrice' })
  get listPrice(): number {
    return toMajor(this.listPriceCents);
  }

  @Field(() => MoneyScalar, { name: 'unitCost', nullable: true, description: 'Cost to serve one unit. Null below MANAGER.' })
  @Financial()
  get unitCost(): number | null {
    return this.unitCostCents == null ? null : toMajor(this.unitCostCents);
  }

  @Field(() => Float, { nullable: true, description: '(list price - unit cost) / list price. Null below MANAGER.' })
  @Financial()
  get grossMarginRate(): number | null {
    if (this.unitCostCents == null || !this.listPriceCents) return null;
    return (this.listPriceCents - this.unitCostCents) / this.listPriceCents;
  }
}
