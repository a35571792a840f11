import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { IsOptional, Length, Max, Min } from 'class-validator';
import { ForecastCategory, TargetScope } from '../../shared/enums';
import { MoneyScalar } from '../../graphql/money.scalar';
import { ForecastGroupBy } from './forecast.entity';
import { BacktestInterval, SizeBand } from './forecast.types';

@ArgsType()
export class ForecastArgs {
  @Field({ description: 'A month ("2026-11"), quarter ("2026-Q4") or year ("2026").' })
  period!: string;
  @Field(() => ForecastGroupBy, { defaultValue: ForecastGroupBy.COMPANY }) groupBy!: ForecastGroupBy;
  @Field(() => Date, { nullable: true, description: 'Use only what was known at this instant (default: now; then a snapshot is stored for a current period).' })
  asOf?: Date;
  @Field(() => ID, { nullable: true, description: 'Only deals owned by this team.' }) teamId?: string;
  @Field(() => ID, { nullable: true, description: 'Only deals owned by this rep.' }) repId?: string;
  @Field(() => Int, { defaultValue: 10_000 }) @Min(100) @Max(100_000) simulations!: number;
  @Field(() => Int, { defaultValue: 42 }) seed!: number;
  @Field(() => Int, { defaultValue: 10 }) @Min(0) @Max(100) topDeals!: number;
}

@InputType({ description: 'A segment to learn from: any combination of team, product family and size band.' })
export class ForecastSegmentInput {
  @Field(() => ID, { nullable: true }) teamId?: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 80) productFamily?: string;
  @Field(() => SizeBand, { nullable: true }) sizeBand?: SizeBand;
}

@ArgsType()
export class SegmentArgs {
  @Field(() => ForecastSegmentInput, { nullable: true }) segment?: ForecastSegmentInput;
  @Field(() => Date, { nullable: true }) asOf?: Date;
}

@ArgsType()
export class BacktestArgs {
  @Field(() => Date, { description: 'The first period is the one containing this date.' }) from!: Date;
  @Field(() => Date, { description: 'Exclusive end.' }) to!: Date;
  @Field(() => BacktestInterval, { defaultValue: BacktestInterval.QUARTER }) interval!: BacktestInterval;
  @Field(() => ID, { nullable: true }) teamId?: string;
  @Field(() => ID, { nullable: true }) repId?: string;
  @Field(() => Int, { defaultValue: 2000 }) @Min(100) @Max(50_000) simulations!: number;
  @Field(() => Int, { defaultValue: 42 }) seed!: number;
}

@InputType({ description: 'A called amount for a scope and period, with a note. The author is always the caller.' })
export class AdjustForecastInput {
  @Field({ description: 'A month, quarter or year, as in `forecast`.' }) period!: string;
  @Field(() => TargetScope) scope!: TargetScope;
  @Field(() => ID, { nullable: true, description: 'Required for TEAM scope.' }) teamId?: string;
  @Field(() => ID, { nullable: true, description: 'Required for REP scope.' }) repId?: string;
  @Field(() => MoneyScalar) @Min(0) amount!: number;
  @Field() @Length(3, 2000) note!: string;
}

@InputType({ description: "A rep's or manager's category override on a deal, with a note. The author is always the caller." })
export class OverrideDealCategoryInput {
  @Field(() => ID) dealId!: string;
  @Field(() => Int, { description: 'The deal version you read (optimistic lock).' }) version!: number;
  @Field(() => ForecastCategory, { nullable: true, description: 'Null clears the override.' }) category?: ForecastCategory | null;
  @Field({ description: 'The period the call is about.' }) period!: string;
  @Field() @Length(3, 2000) note!: string;
}
