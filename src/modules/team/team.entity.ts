import { Collection, Entity, ManyToOne, OneToMany, Property, type Rel } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { BaseEntity } from '../../shared/base.entity';
import { Rep } from '../rep/rep.entity';

@ObjectType({ description: 'A sales team, e.g. "EMEA Mid-Market".' })
@Entity({ tableName: 'teams' })
export class Team extends BaseEntity {
  @Field()
  @Property({ type: 'string', length: 120, unique: true })
  name!: string;

  @Field()
  @Property({ type: 'string', length: 60, index: true })
  region!: string;

  /** Resolved through a batched loader (`manager` field). */
  @ManyToOne(() => Rep, { nullable: true, deleteRule: 'set null' })
  manager?: Rel<Rep> | null;

  @OneToMany(() => Rep, (rep) => rep.team)
  reps = new Collection<Rep>(this);
}
