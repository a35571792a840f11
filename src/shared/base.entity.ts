import { DateTimeType, type Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';

/** Every table has an integer id and bookkeeping timestamps. */
@ObjectType()
export abstract class BaseEntity {
  @Field(() => ID)
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  /** When the record came into being (for imported records: the CRM's creation date). */
  @Field(() => Date)
  @Property({ type: DateTimeType, onCreate: () => new Date() })
  createdAt: Date & Opt = new Date();

  @Field(() => Date)
  @Property({ type: DateTimeType, onCreate: () => new Date(), onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();
}
