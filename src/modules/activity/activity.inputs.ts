import { ArgsType, Field, ID, InputType } from 'type-graphql';
import { IsOptional, MaxLength } from 'class-validator';
import { ActivityOutcome, ActivityType } from '../../shared/enums';

@InputType()
export class ActivityFilter {
  @Field(() => [ID], { nullable: true }) repIds?: string[];
  @Field(() => ID, { nullable: true }) teamId?: string;
  @Field(() => ID, { nullable: true }) leadId?: string;
  @Field(() => ID, { nullable: true }) dealId?: string;
  @Field(() => [ActivityType], { nullable: true }) types?: ActivityType[];
  @Field(() => [ActivityOutcome], { nullable: true }) outcomes?: ActivityOutcome[];
  @Field(() => Date, { nullable: true, description: 'At or after.' }) from?: Date;
  @Field(() => Date, { nullable: true, description: 'Before.' }) to?: Date;
}

@ArgsType()
export class ActivityQueryArgs {
  @Field(() => ActivityFilter, { nullable: true }) filter?: ActivityFilter;
}

@InputType({ description: 'A call, email, meeting, demo or note on a lead or a deal (at least one of them).' })
export class LogActivityInput {
  @Field(() => ActivityType) type!: ActivityType;
  @Field(() => ID) repId!: string;
  @Field(() => ID, { nullable: true }) leadId?: string;
  @Field(() => ID, { nullable: true }) dealId?: string;
  @Field(() => Date, { nullable: true, description: 'When it happened; now by default. Not in the future.' }) at?: Date;
  @Field(() => ActivityOutcome, { defaultValue: ActivityOutcome.NONE }) outcome!: ActivityOutcome;
  @Field({ nullable: true }) @IsOptional() @MaxLength(5000) notes?: string;
}
