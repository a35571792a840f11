import { DateTimeType, Entity, Enum, Index, ManyToOne, Property, type Rel } from '@mikro-orm/core';
import { Field, Float, Int, ObjectType } from 'type-graphql';
import { BaseEntity } from '../../shared/base.entity';
import { TargetScope } from '../../shared/enums';
import { Team } from '../team/team.entity';
import { Rep } from '../rep/rep.entity';

@ObjectType({ description: 'An objective: a KPI level to reach over a period, for the company, a team or a rep (e.g. a quota).' })
@Entity({ tableName: 'targets' })
@Index({ properties: ['kpiKey', 'periodStart'] })
// A team's or a rep's targets (every dashboard reads them): without these, a team's lookup read every rep's targets of
// the KPIs (91k rows for 3 at 4M deals, 50-130 ms).
@Index({ name: 'targets_team_lookup_index', properties: ['scope', 'team', 'kpiKey', 'periodStart'] })
@Index({ name: 'targets_rep_lookup_index', properties: ['scope', 'rep', 'kpiKey', 'periodStart'] })
export class Target extends BaseEntity {
  @Field({ description: 'Key of the KPI (see `kpiDefinitions`), e.g. "revenue" for a quota.' })
  @Property({ type: 'string', length: 60 })
  kpiKey!: string;

  @Field(() => TargetScope)
  @Enum({ items: () => TargetScope })
  scope!: TargetScope;

  @ManyToOne(() => Team, { nullable: true, deleteRule: 'cascade' })
  team?: Rel<Team> | null;

  @ManyToOne(() => Rep, { nullable: true, deleteRule: 'cascade' })
  rep?: Rel<Rep> | null;

  @Field(() => Date, { description: 'Inclusive start.' })
  @Property({ type: DateTimeType })
  periodStart!: Date;

  @Field(() => Date, { description: 'Exclusive end.' })
  @Property({ type: DateTimeType })
  periodEnd!: Date;

  @Field(() => Float, { description: 'Target level, in the KPI unit (money in major units, ratios 0..1).' })
  @Property({ type: 'double' })
  value!: number;

  @Field(() => Int)
  @Property({ type: 'integer', version: true })
  version!: number;
}
