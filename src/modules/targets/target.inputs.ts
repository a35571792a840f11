import { Field, Float, ID, InputType } from 'type-graphql';
import { IsOptional, Matches } from 'class-validator';
import { TargetScope } from '../../shared/enums';

@InputType({ description: 'An objective for a KPI over a period. TEAM scope needs teamId; REP scope needs repId.' })
export class CreateTargetInput {
  @Field({ description: 'KPI key, e.g. "revenue" (see kpiDefinitions).' })
  @Matches(/^[a-z][a-zA-Z0-9_]{1,59}$/, { message: 'kpiKey is a KPI key such as "revenue" or "winRate"' })
  kpiKey!: string;
  @Field(() => TargetScope) scope!: TargetScope;
  @Field(() => ID, { nullable: true }) teamId?: string;
  @Field(() => ID, { nullable: true }) repId?: string;
  @Field(() => Date, { description: 'Inclusive.' }) periodStart!: Date;
  @Field(() => Date, { description: 'Exclusive.' }) periodEnd!: Date;
  @Field(() => Float) value!: number;
}

@InputType()
export class UpdateTargetInput {
  @Field(() => Date, { nullable: true }) periodStart?: Date;
  @Field(() => Date, { nullable: true }) periodEnd?: Date;
  @Field(() => Float, { nullable: true }) @IsOptional() value?: number;
}
