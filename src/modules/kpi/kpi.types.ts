import { Financial } from '../auth/financial.middleware';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { RepRole } from '../../shared/enums';
import { Rep } from '../rep/rep.entity';
import {
  ComparisonMode,
  FunnelCohort,
  KpiDimension,
  KpiDirection,
  KpiFamily,
  KpiHealth,
  KpiUnit,
  SignalKind,
  SignalSeverity,
  TargetStatus,
} from './kpi.enums';

registerEnumType(KpiFamily, { name: 'KpiFamily', description: 'The four KPI families of the catalogue.' });
registerEnumType(KpiUnit, {
  name: 'KpiUnit',
  description: 'How to read a KPI value.',
  valuesConfig: {
    COUNT: { description: 'A number of things.' },
    RATIO: { description: 'A fraction 0..1 (display as %).' },
    MONEY: { description: 'Major units of the reporting currency.' },
    DAYS: { description: 'A duration in days.' },
    HOURS: { description: 'A duration in hours.' },
    MULTIPLE: { description: 'A multiple (e.g. 3 = 3x).' },
    MONEY_PER_DAY: { description: 'Major currency units per day.' },
  },
});
registerEnumType(KpiDirection, { name: 'KpiDirection', description: 'Which way is good for a KPI.' });
registerEnumType(KpiDimension, {
  name: 'KpiDimension',
  description:
    'A way to slice KPIs. REGION is the team region; SOURCE the lead source / channel; SEGMENT and SECTOR the account firmographics; STAGE the pipeline stage; DAY..YEAR time buckets in the period time zone (weeks start on Monday).',
});
registerEnumType(KpiHealth, {
  name: 'KpiHealth',
  description: 'A KPI value against the benchmark ranges of the catalogue.',
});
registerEnumType(TargetStatus, {
  name: 'TargetStatus',
  description:
    'Progress against a target: pace (projected end-of-period value) / target >= 1 is ON_TRACK, >= 0.9 AT_RISK, else OFF_TRACK (inverted when lower is better).',
});
registerEnumType(ComparisonMode, { name: 'ComparisonMode', description: 'What to compare a period with.' });
/**
 * The audiences of dashboards are the sales roles (RepRole), but the GraphQL enum keeps its own name: clients
 * declare `$role: DashboardRole!`. type-graphql names an enum by its object, hence a copy of RepRole's values
 * (not a second list); TypeScript uses RepRole.
 */
export const DashboardRole = { ...RepRole };
registerEnumType(DashboardRole, { name: 'DashboardRole', description: 'The audience of a dashboard.' });
registerEnumType(FunnelCohort, { name: 'FunnelCohort', description: 'What a funnel follows: leads created or deals opened in the period.' });
registerEnumType(SignalKind, { name: 'SignalKind', description: 'What a signal is about.' });
registerEnumType(SignalSeverity, { name: 'SignalSeverity' });

@ObjectType({ description: 'A benchmark range: values in [min, max) have this health.' })
export class KpiHealthRule {
  @Field(() => KpiHealth) health!: KpiHealth;
  @Field(() => Float, { nullable: true, description: 'Inclusive lower bound; none when open.' }) min?: number | null;
  @Field(() => Float, { nullable: true, description: 'Exclusive upper bound; none when open.' }) max?: number | null;
}

@ObjectType({ description: 'What a KPI means: frontends build pickers and tooltips from these.' })
export class KpiDefinition {
  @Field({ description: 'Stable key used in queries and targets, e.g. "winRate".' }) key!: string;
  @Field(() => KpiFamily) family!: KpiFamily;
  @Field({ description: 'Human label.' }) label!: string;
  @Field({ description: 'What is counted, over which rows and dates.' }) description!: string;
  @Field({ description: 'The formula in words.' }) formula!: string;
  @Field(() => KpiUnit) unit!: KpiUnit;
  @Field(() => KpiDirection) direction!: KpiDirection;
  @Field(() => String, { nullable: true, description: 'Benchmark from the catalogue, as text.' }) benchmark?: string | null;
  @Field(() => [KpiHealthRule], { description: 'Ranges giving the health flag; empty when the catalogue gives none.' }) healthRules!: KpiHealthRule[];
  @Field({ description: 'True when the KPI sums over time (targets are prorated, pace extrapolated).' }) additive!: boolean;
  @Field(() => [KpiDimension], { description: 'Dimensions the KPI can be grouped and filtered by.' }) dimensions!: KpiDimension[];
  @Field(() => [DashboardRole], { description: 'Dashboards showing this KPI.' }) dashboards!: RepRole[];
}

@ObjectType({ description: 'A resolved period: instants, with the time zone its buckets use.' })
export class KpiPeriod {
  @Field(() => Date, { description: 'Inclusive start.' }) from!: Date;
  @Field(() => Date, { description: 'Exclusive end.' }) to!: Date;
  @Field() timeZone!: string;
  @Field(() => Date, { description: 'The moment the figures are computed as of (pace, open pipeline).' }) asOf!: Date;
}

@ObjectType({ description: 'The value of one grouping dimension for a row.', simpleResolvers: true })
export class KpiGroup {
  @Field(() => KpiDimension) dimension!: KpiDimension;
  @Field(() => String, { nullable: true, description: 'Id or value (rep id, region name...); null for rows without one.' }) key?: string | null;
  @Field(() => String, { nullable: true, description: 'Display name (rep name, stage name...); "(none)" when key is null.' }) label?: string | null;
}

@ObjectType({ description: 'A time bucket of a row grouped by DAY, WEEK, MONTH, QUARTER or YEAR.', simpleResolvers: true })
export class KpiBucket {
  @Field({ description: '"2026-07-06" (day, week = its Monday), "2026-07", "2026-Q3", "2026".' }) key!: string;
  @Field(() => Date, { description: 'Inclusive start (clipped to the period).' }) start!: Date;
  @Field(() => Date, { description: 'Exclusive end (clipped to the period).' }) end!: Date;
}

@ObjectType({ description: 'The same KPI over the comparison period.', simpleResolvers: true })
export class KpiComparison {
  @Field(() => Float, { nullable: true }) value?: number | null;
  @Field(() => Float, { nullable: true, description: 'value now − value then.' }) delta?: number | null;
  @Field(() => Float, { nullable: true, description: 'delta / |value then|; null when value then is 0 or null.' }) pctChange?: number | null;
}

@ObjectType({ description: 'Progress against the objective of the row’s rep, team or company.', simpleResolvers: true })
export class KpiTargetProgress {
  @Field(() => Float, { description: 'Target over the row’s period (prorated for additive KPIs).' }) value!: number;
  @Field(() => Float, { nullable: true, description: 'value / target (target / value when lower is better).' }) attainment?: number | null;
  @Field(() => Float, { nullable: true, description: 'Projected end-of-period value at the current run-rate.' }) pace?: number | null;
  @Field(() => Float, { nullable: true, description: 'Where an additive KPI should be by now on a linear path.' }) expectedToDate?: number | null;
  @Field(() => TargetStatus, { nullable: true, description: 'None before the period starts.' }) status?: TargetStatus | null;
}

/** Plain properties resolve without type-graphql's per-field wrapper (a wide answer has tens of thousands of rows); `target` keeps its middleware. */
@ObjectType({ description: 'One value of a KPI: for the whole slice, or one group / time bucket of it.', simpleResolvers: true })
export class KpiRow {
  @Field() kpiKey!: string;
  @Field(() => [KpiGroup], { description: 'One entry per non-time groupBy dimension, in request order.' }) groups!: KpiGroup[];
  @Field(() => KpiBucket, { nullable: true, description: 'The time bucket, when grouped by time.' }) bucket?: KpiBucket | null;
  @Field(() => Float, { nullable: true, description: 'The KPI value in its unit; null with a reason when it cannot be computed.' }) value?: number | null;
  @Field(() => Float, { nullable: true, description: 'The numerator behind a ratio or mean.' }) numerator?: number | null;
  @Field(() => Float, { nullable: true, description: 'The denominator behind a ratio or mean.' }) denominator?: number | null;
  @Field(() => KpiUnit) unit!: KpiUnit;
  @Field(() => String, { nullable: true, description: 'Why value is null (e.g. "no deal was closed in the period").' }) reason?: string | null;
  @Field(() => KpiComparison, { nullable: true, description: 'Present when compareTo was given.' }) comparison?: KpiComparison | null;
  @Field(() => KpiTargetProgress, { nullable: true, simple: false, description: 'Present when a target exists for the row’s scope and period (quota data: null below MANAGER).' })
  @Financial()
  target?: KpiTargetProgress | null;
  @Field(() => KpiHealth, { nullable: true, description: 'Health against the catalogue benchmark; null when there is none.' }) health?: KpiHealth | null;
}

@ObjectType({ description: 'A KPI over a period, sliced as asked.' })
export class KpiResult {
  @Field() key!: string;
  @Field(() => KpiDefinition) definition!: KpiDefinition;
  @Field(() => KpiPeriod) period!: KpiPeriod;
  @Field(() => KpiPeriod, { nullable: true, description: 'Present when compareTo was given ("to date" when the period is still running).' })
  comparisonPeriod?: KpiPeriod | null;
  @Field(() => [KpiRow]) rows!: KpiRow[];
}

@ObjectType({ description: 'One audience’s KPIs with trend, target and health, in one request.' })
export class Dashboard {
  @Field(() => DashboardRole) role!: RepRole;
  @Field(() => KpiPeriod) period!: KpiPeriod;
  @Field(() => [KpiResult], { description: 'One result per KPI, each with a single row for the scope.' }) kpis!: KpiResult[];
}

@ObjectType({ description: 'A step of a funnel.' })
export class FunnelStep {
  @Field({ description: 'Stage id for deal funnels; CREATED, CONTACTED, MQL, SQL, OPPORTUNITY, WON for lead funnels.' }) key!: string;
  @Field() label!: string;
  @Field(() => Int, { description: 'Cohort members that reached the step.' }) count!: number;
  @Field(() => Float, { nullable: true, description: 'count / previous step count.' }) conversionFromPrevious?: number | null;
  @Field(() => Float, { nullable: true, description: 'count / first step count.' }) conversionFromStart?: number | null;
  @Field(() => Float, { nullable: true, description: 'Median days spent in the stage before leaving it (deals) or from lead creation to the step (leads).' })
  medianDays?: number | null;
  @Field(() => Float, { nullable: true, description: '75th percentile of the same durations.' }) p75Days?: number | null;
  @Field(() => String, { nullable: true }) reason?: string | null;
}

@ObjectType({ description: 'How a cohort moved through the steps, from the stage history.' })
export class Funnel {
  @Field(() => FunnelCohort) cohort!: FunnelCohort;
  @Field(() => KpiPeriod) period!: KpiPeriod;
  @Field(() => [FunnelStep]) steps!: FunnelStep[];
}

@ObjectType({ description: 'Something a manager should act on, with the entity and the reason.' })
export class Signal {
  @Field(() => SignalKind) kind!: SignalKind;
  @Field(() => SignalSeverity) severity!: SignalSeverity;
  @Field({ description: 'Deal, Account, Rep, Team or Company.' }) entityType!: string;
  @Field(() => ID, { nullable: true }) entityId?: string | null;
  @Field() entityLabel!: string;
  @Field({ description: 'Why the signal fired, in words.' }) reason!: string;
  @Field(() => String, { nullable: true }) kpiKey?: string | null;
  @Field(() => Float, { nullable: true, description: 'The observed value (days stalled, drop ratio, KPI value).' }) value?: number | null;
  @Field(() => Float, { nullable: true, description: 'The threshold it was compared with.' }) threshold?: number | null;
}

@ObjectType({ description: 'A rep’s place on a leaderboard, with the context to compare fairly.' })
export class LeaderboardEntry {
  @Field(() => Int, { nullable: true, description: '1 = best; null when the rep has no value.' }) rank?: number | null;
  @Field(() => Rep) rep!: Rep;
  @Field(() => String, { nullable: true }) teamName?: string | null;
  @Field(() => String, { nullable: true, description: 'Territory: the team region.' }) region?: string | null;
  @Field(() => Int, { description: 'Whole months since hire at the end of the period.' }) tenureMonths!: number;
  @Field(() => KpiRow) row!: KpiRow;
}

@ObjectType({ description: 'Reps ranked by a KPI within a team or the company.' })
export class Leaderboard {
  @Field(() => KpiDefinition) definition!: KpiDefinition;
  @Field(() => KpiPeriod) period!: KpiPeriod;
  @Field(() => [LeaderboardEntry]) entries!: LeaderboardEntry[];
}
