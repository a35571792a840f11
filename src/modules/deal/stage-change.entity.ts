import { DateTimeType, Entity, Index, ManyToOne, type Opt, Property, type Rel } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';
import { BaseEntity } from '../../shared/base.entity';
import { PipelineStage } from '../pipeline/stage.entity';
import { Rep } from '../rep/rep.entity';
import { Deal } from './deal.entity';

@ObjectType({ description: 'One move of a deal between stages: the history funnels and as-of forecasts use.' })
@Entity({ tableName: 'deal_stage_changes' })
@Index({ properties: ['deal', 'at'] })
@Index({ properties: ['toStage', 'at'] })
export class DealStageChange extends BaseEntity {
  @ManyToOne(() => Deal, { deleteRule: 'cascade' })
  deal!: Rel<Deal>;

  /** Null for the deal's first stage. */
  @ManyToOne(() => PipelineStage, { nullable: true })
  fromStage?: Rel<PipelineStage> | null;

  @ManyToOne(() => PipelineStage)
  toStage!: Rel<PipelineStage>;

  @Field(() => Date)
  @Property({ type: DateTimeType })
  at!: Date;

  @ManyToOne(() => Rep, { nullable: true, deleteRule: 'set null' })
  by?: Rel<Rep> | null;

  @Field(() => Boolean, { description: 'True when reconstructed from an export that only had the current stage and dates.' })
  @Property({ type: 'boolean', default: false })
  inferred: boolean & Opt = false;
}
