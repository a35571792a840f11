import { BigIntType, DateTimeType, Entity, Index, ManyToOne, OptionalProps, Property, type Rel } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { BaseEntity } from '../../shared/base.entity';
import { MoneyScalar, toMajor } from '../../graphql/money.scalar';
import { Account } from '../account/account.entity';
import { Product } from '../product/product.entity';
import { Deal } from '../deal/deal.entity';
import { Financial } from '../auth/financial.middleware';

@ObjectType({ description: 'A purchase by a customer: the first one comes from a won deal, later ones are repeat orders.' })
@Entity({ tableName: 'orders' })
@Index({ properties: ['account', 'orderedAt'] })
@Index({ properties: ['orderedAt'] })
export class Order extends BaseEntity {
  [OptionalProps]?: 'amount' | 'cost' | 'createdAt' | 'updatedAt';

  @ManyToOne(() => Account, { deleteRule: 'cascade' })
  account!: Rel<Account>;

  @ManyToOne(() => Product, { nullable: true, deleteRule: 'set null' })
  product?: Rel<Product> | null;

  @ManyToOne(() => Deal, { nullable: true, deleteRule: 'set null' })
  deal?: Rel<Deal> | null;

  @Property({ type: new BigIntType('number') })
  amountCents!: number;

  @Property({ type: new BigIntType('number') })
  costCents!: number;

  @Field(() => Date)
  @Property({ type: DateTimeType })
  orderedAt!: Date;

  @Field(() => MoneyScalar, { name: 'amount' })
  get amount(): number {
    return toMajor(this.amountCents);
  }

  @Field(() => MoneyScalar, { name: 'cost', nullable: true, description: 'Cost of goods sold. Null below MANAGER.' })
  @Financial()
  get cost(): number | null {
    return toMajor(this.costCents);
  }
}
