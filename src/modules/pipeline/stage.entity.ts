import { Entity, Property, OptionalProps } from '@mikro-orm/core';
import { Field, Float, Int, ObjectType } from 'type-graphql';
import { BaseEntity } from '../../shared/base.entity';

@ObjectType({ description: 'A step of the sales pipeline. Stages are data: a company can rename or add them.' })
@Entity({ tableName: 'pipeline_stages' })
export class PipelineStage extends BaseEntity {
  [OptionalProps]?: 'isClosed' | 'isWon' | 'isLost' | 'createdAt' | 'updatedAt';

  @Field()
  @Property({ type: 'string', length: 80, unique: true })
  name!: string;

  @Field(() => Int, { description: 'Position in the pipeline; won and lost stages come last.' })
  @Property({ type: 'integer' })
  position!: number;

  @Field(() => Float, { description: 'Textbook probability of winning from this stage (0..1), before any learning.' })
  @Property({ type: 'double' })
  defaultProbability!: number;

  @Field()
  @Property({ type: 'boolean', default: false })
  isWon: boolean = false;

  @Field()
  @Property({ type: 'boolean', default: false })
  isLost: boolean = false;

  @Field({ description: 'True for won and lost stages.' })
  get isClosed(): boolean {
    return this.isWon || this.isLost;
  }
}

/** The default pipeline a new company starts with. */
export const DEFAULT_STAGES: Array<Pick<PipelineStage, 'name' | 'position' | 'defaultProbability' | 'isWon' | 'isLost'>> = [
  { name: 'Prospecting', position: 1, defaultProbability: 0.1, isWon: false, isLost: false },
  { name: 'Qualification', position: 2, defaultProbability: 0.25, isWon: false, isLost: false },
  { name: 'Discovery/Demo', position: 3, defaultProbability: 0.5, isWon: false, isLost: false },
  { name: 'Proposal', position: 4, defaultProbability: 0.75, isWon: false, isLost: false },
  { name: 'Negotiation', position: 5, defaultProbability: 0.9, isWon: false, isLost: false },
  { name: 'Won', position: 6, defaultProbability: 1, isWon: true, isLost: false },
  { name: 'Lost', position: 7, defaultProbability: 0, isWon: false, isLost: true },
];
