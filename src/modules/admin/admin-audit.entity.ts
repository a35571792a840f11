import { Entity, Enum, Index, ManyToOne, Property, type Rel } from '@mikro-orm/core';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { BaseEntity } from '../../shared/base.entity';
import { Rep } from '../rep/rep.entity';
import { Team } from '../team/team.entity';

export enum AdminAction {
  CREATE_TEAM = 'CREATE_TEAM',
  CREATE_REP = 'CREATE_REP',
  CHANGE_REP_ROLE = 'CHANGE_REP_ROLE',
  MOVE_REP_TO_TEAM = 'MOVE_REP_TO_TEAM',
  SET_TEAM_MANAGER = 'SET_TEAM_MANAGER',
  DEACTIVATE_REP = 'DEACTIVATE_REP',
  REACTIVATE_REP = 'REACTIVATE_REP',
}
registerEnumType(AdminAction, { name: 'AdminAction', description: 'A change to the sales organisation (reps and teams).' });

/**
 * Who changed the sales organisation, when, and from what to what. Written in the same transaction as the
 * change; never updated or deleted (reps and teams are deactivated, not deleted, so the rows keep their subject).
 */
@ObjectType({ description: 'One change to reps or teams: who made it, when, and the values before and after.' })
@Entity({ tableName: 'admin_audit' })
@Index({ properties: ['rep', 'createdAt'] })
export class AdminAuditEntry extends BaseEntity {
  @Field(() => AdminAction)
  @Enum({ items: () => AdminAction })
  action!: AdminAction;

  /** The caller's stable subject (`rep:<id>`, `key:<id>`, `system`), as in the access log. */
  @Field({ description: 'Who made the change: rep:<id>, key:<id> (API key) or system.' })
  @Property({ type: 'string', length: 120 })
  actor!: string;

  @ManyToOne(() => Rep, { nullable: true, deleteRule: 'set null' })
  actorRep?: Rel<Rep> | null;

  @ManyToOne(() => Rep, { nullable: true, deleteRule: 'set null' })
  rep?: Rel<Rep> | null;

  @ManyToOne(() => Team, { nullable: true, deleteRule: 'set null' })
  team?: Rel<Team> | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'The changed values before the change (null for a creation).' })
  @Property({ type: 'json', nullable: true })
  before?: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { description: 'The changed values after the change.' })
  @Property({ type: 'json' })
  after!: Record<string, unknown>;
}
