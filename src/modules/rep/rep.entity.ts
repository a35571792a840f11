import { DateTimeType, Entity, Enum, ManyToOne, Property, type Rel } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { BaseEntity } from '../../shared/base.entity';
import { RepRole } from '../../shared/enums';
import { Team } from '../team/team.entity';

@ObjectType({ description: 'A person on the sales team: SDR, account executive, manager or executive.' })
@Entity({ tableName: 'reps' })
export class Rep extends BaseEntity {
  @Field()
  @Property({ type: 'string', length: 160, index: true })
  name!: string;

  @Field()
  @Property({ type: 'string', length: 254, unique: true })
  email!: string;

  @Field(() => RepRole)
  @Enum({ items: () => RepRole, index: true })
  role!: RepRole;

  @ManyToOne(() => Team, { nullable: true, deleteRule: 'set null' })
  team?: Rel<Team> | null;

  @Field()
  @Property({ type: 'boolean', default: true })
  active: boolean = true;

  @Field(() => Date)
  @Property({ type: DateTimeType })
  hiredAt!: Date;

  @Field(() => String, { nullable: true, description: 'Identifier in the source CRM.' })
  @Property({ type: 'string', length: 120, nullable: true, unique: true })
  externalId?: string | null;
}
