import { ArrayMaxSize, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { AccountSegment } from '../../shared/enums';

@InputType({ description: 'A period: [from, to) in a time zone. Dates (YYYY-MM-DD) mean local midnight in timeZone.' })
export class KpiPeriodInput {
  @Field({ description: 'Inclusive start: "2026-07-01" or an ISO date-time with offset.' })
  @MaxLength(40)
  from!: string;

  @Field({ description: 'Exclusive end: "2026-10-01" or an ISO date-time with offset.' })
  @MaxLength(40)
  to!: string;

  @Field({ defaultValue: 'UTC', description: 'IANA time zone for dates and time buckets, e.g. "Europe/Paris".' })
  @MaxLength(64)
  timeZone!: string;

  @Field(() => Date, { nullable: true, description: 'Compute as of this moment (pace, open pipeline); now by default.' })
  asOf?: Date;
}

@InputType({ description: 'Restricts KPIs to a slice; every given list must match (values inside a list are OR).' })
export class KpiFilterInput {
  @Field(() => [ID], { nullable: true }) @ArrayMaxSize(500) repIds?: string[];
  @Field(() => [ID], { nullable: true }) @ArrayMaxSize(200) teamIds?: string[];
  @Field(() => [String], { nullable: true, description: 'Team regions (territories).' }) @ArrayMaxSize(50) regions?: string[];
  @Field(() => [ID], { nullable: true }) @ArrayMaxSize(500) productIds?: string[];
  @Field(() => [String], { nullable: true }) @ArrayMaxSize(100) productFamilies?: string[];
  @Field(() => [String], { nullable: true, description: 'Lead sources / channels.' }) @ArrayMaxSize(100) sources?: string[];
  @Field(() => [AccountSegment], { nullable: true }) segments?: AccountSegment[];
  @Field(() => [String], { nullable: true }) @ArrayMaxSize(100) sectors?: string[];
  @Field(() => [ID], { nullable: true, description: 'Pipeline stages (KPIs that have a stage).' }) @ArrayMaxSize(50) stageIds?: string[];
}

@InputType({ description: 'Whose dashboard: one team, one rep, or the whole company when empty.' })
export class DashboardScopeInput {
  @Field(() => ID, { nullable: true }) teamId?: string;
  @Field(() => ID, { nullable: true }) repId?: string;
}
