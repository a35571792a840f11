/** GraphQL shapes of forecast results (plain objects built by the service; money in major units). */
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ForecastCategory } from '../../shared/enums';
import { MoneyScalar } from '../../graphql/money.scalar';
import { Financial } from '../auth/financial.middleware';
import { ForecastAdjustment, ForecastGroupBy } from './forecast.entity';

export enum WeightStatus { OK = 'OK', SHRUNK = 'SHRUNK', POOLED = 'POOLED', INSUFFICIENT_HISTORY = 'INSUFFICIENT_HISTORY' }
registerEnumType(WeightStatus, {
  name: 'WeightStatus',
  description:
    "OK: enough closed deals reached the stage; SHRUNK: a small sample leaning on the stage below (a segment: on the company weight); POOLED: no usable sample (nobody reached it, or deals of unknown stage history may have and cannot be apportioned), the pooled weight of the stage below is used; INSUFFICIENT_HISTORY: no closed deal at all, the stage's default probability is used.",
});

export enum ForecastMethod { PIPELINE = 'PIPELINE', RUN_RATE = 'RUN_RATE', BLEND = 'BLEND', DEAL_MODEL = 'DEAL_MODEL' }
registerEnumType(ForecastMethod, {
  name: 'ForecastMethod',
  description: 'PIPELINE: stage weights x timing + new business; RUN_RATE: mean won revenue of the last 3 closed periods; BLEND: the two weighted by past periods; DEAL_MODEL: the pipeline model with the deal-win model P(win).',
});

export enum RangeSource { CONFORMAL = 'CONFORMAL', SMALL_SAMPLE = 'SMALL_SAMPLE', SIMULATION = 'SIMULATION' }
registerEnumType(RangeSource, {
  name: 'RangeSource',
  description: "CONFORMAL: P10–P90 from the served method's out-of-sample errors on closed periods; SMALL_SAMPLE: fewer than 9 such errors, a wider Student-t interval joined with the simulation; SIMULATION: no errors to measure, the simulated range (too narrow).",
});

export enum ThinKind {
  STAGE_WEIGHT = 'STAGE_WEIGHT', STAGE_HISTORY = 'STAGE_HISTORY', DEAL_SIZE = 'DEAL_SIZE', DEAL_DATES = 'DEAL_DATES', NEW_BUSINESS = 'NEW_BUSINESS',
  TRACK_RECORD = 'TRACK_RECORD', RANGE = 'RANGE', SIMULATION = 'SIMULATION', STALE_DEALS = 'STALE_DEALS',
}
registerEnumType(ThinKind, { name: 'ThinKind', description: 'What part of the forecast rests on little data.' });

@ObjectType({ description: 'A place the forecast rests on little data: what, the sample it had, and what it did instead.' })
export class ThinSpot {
  @Field(() => ThinKind) kind!: ThinKind;
  @Field({ description: 'A stage name, a method, "company", ...' }) subject!: string;
  @Field(() => Int) sample!: number;
  @Field() message!: string;
}

export enum SizeBand { SMALL = 'SMALL', MEDIUM = 'MEDIUM', LARGE = 'LARGE' }
registerEnumType(SizeBand, { name: 'SizeBand', description: 'Deal size terciles of closed deals (bounds are returned with the weights).' });

export enum BacktestInterval { MONTH = 'MONTH', QUARTER = 'QUARTER' }
registerEnumType(BacktestInterval, { name: 'BacktestInterval' });

@ObjectType()
export class ForecastCategoryTotal {
  @Field(() => ForecastCategory) category!: ForecastCategory;
  @Field(() => Int) deals!: number;
  @Field(() => MoneyScalar, { description: 'Unweighted amount of the deals.' }) amount!: number;
  @Field(() => MoneyScalar, { description: 'Probability-weighted amount.' }) expected!: number;
}

@ObjectType({ description: 'An open deal and what the model expects of it in the period.' })
export class ForecastDeal {
  @Field(() => ID) dealId!: string;
  @Field() name!: string;
  @Field() stage!: string;
  @Field(() => MoneyScalar) amount!: number;
  @Field(() => Float, { description: 'Chance the deal is won inside the period: winProbability x timingProbability.' }) probability!: number;
  @Field(() => Float, { description: 'P(won eventually) from its stage, age in stage and segment (after stale decay).' }) winProbability!: number;
  @Field(() => Float, { description: 'P(closes inside the period | still open), from historical cycle durations.' }) timingProbability!: number;
  @Field(() => Date, { nullable: true, description: 'Median expected close date from historical durations.' }) expectedCloseDate!: Date | null;
  @Field(() => MoneyScalar) expectedValue!: number;
  @Field(() => Float) daysInStage!: number;
  @Field(() => ForecastCategory, { description: 'Category from the model probability.' }) modelCategory!: ForecastCategory;
  @Field(() => ForecastCategory, { nullable: true, description: "The rep's override, when set." }) repCategory!: ForecastCategory | null;
  @Field({ description: 'Older than any historical win: its weight was decayed.' }) stale!: boolean;
  @Field({ description: 'No closed deal to learn from: the default stage probability was used.' }) usedDefaultWeight!: boolean;
}

@ObjectType()
export class Accuracy {
  @Field(() => Int) periods!: number;
  @Field(() => Float, { nullable: true }) mape!: number | null;
  @Field(() => Float, { nullable: true, description: 'sum |error| / sum actual.' }) wape!: number | null;
  @Field(() => Float, { nullable: true, description: 'sum (forecast - actual) / sum actual.' }) bias!: number | null;
  @Field(() => Float, { nullable: true, description: 'Share of periods whose actual fell inside P10–P90.' }) coverage!: number | null;
}

@ObjectType({ description: "A method's out-of-sample record over the closed periods that judged the methods." })
export class MethodRecord {
  @Field(() => ForecastMethod) method!: ForecastMethod;
  @Field(() => Int) periods!: number;
  @Field(() => Float, { nullable: true }) mape!: number | null;
  @Field(() => Float, { nullable: true, description: 'sum |error| / sum actual: the choice criterion.' }) wape!: number | null;
  @Field(() => Float, { nullable: true, description: 'sum (forecast - actual) / sum actual.' }) bias!: number | null;
}

@ObjectType({ description: 'The method served, chosen by its WAPE over past periods closed before the as-of date, each forecast as of its own start.' })
export class ForecastMethodChoice {
  @Field(() => ForecastMethod) method!: ForecastMethod;
  @Field(() => Int, { description: 'Closed periods the choice rests on (all candidates judged on the same ones); 0: too little history.' }) judgedPeriods!: number;
  @Field(() => [MethodRecord], { description: 'Each candidate on those periods.' }) candidates!: MethodRecord[];
  @Field(() => Accuracy, { description: 'The served forecast itself, replayed over those periods (the choice and range each made as of then).' }) record!: Accuracy;
  @Field(() => Float, { nullable: true, description: 'Pipeline-model weight in BLEND (the rest on the run-rate).' }) blendWeight!: number | null;
  @Field(() => RangeSource) rangeSource!: RangeSource;
  @Field(() => Int, { description: 'Out-of-sample errors of the served method the P10–P90 range rests on.' }) rangePeriods!: number;
}

@ObjectType({ description: 'The forecast of one group (or the total).' })
export class ForecastGroup {
  @Field(() => ID, { nullable: true, description: 'Team, rep or product id; null for the total or for deals without one.' }) key!: string | null;
  @Field() label!: string;
  @Field(() => MoneyScalar, { description: 'The served forecast (Forecast.method); with the PIPELINE method, closedWon + pipeline + newBusiness.' }) expected!: number;
  @Field(() => MoneyScalar, { description: "The pipeline model's expected value: closedWon + pipeline + newBusiness." }) pipelineModelExpected!: number;
  @Field(() => MoneyScalar, { nullable: true, description: 'Run-rate: mean won revenue of the last 3 closed periods for the part ahead, plus closedWon; null without 3 periods of data.' }) runRate!: number | null;
  @Field(() => MoneyScalar) p10!: number;
  @Field(() => MoneyScalar) p50!: number;
  @Field(() => MoneyScalar) p90!: number;
  @Field(() => MoneyScalar, { description: 'Expected revenue from deals open at the as-of date.' }) pipeline!: number;
  @Field(() => MoneyScalar, { description: 'Expected revenue from deals not yet created.' }) newBusiness!: number;
  @Field(() => MoneyScalar, { description: 'Won inside the period before the as-of date.' }) closedWon!: number;
  // Quota data: null below MANAGER (src/modules/auth/access.policy.ts).
  @Field(() => MoneyScalar, { nullable: true, description: '`revenue` targets overlapping the period (prorated). Null below MANAGER.' }) @Financial() quota!: number | null;
  @Field(() => MoneyScalar, { nullable: true, description: 'quota - expected (positive: short of quota). Null below MANAGER.' }) @Financial() gapToQuota!: number | null;
  @Field(() => Float, { nullable: true, description: 'Open pipeline / (quota - closedWon). Null below MANAGER.' }) @Financial() pipelineCoverage!: number | null;
  @Field(() => Int) openDeals!: number;
  @Field(() => MoneyScalar) openPipeline!: number;
  @Field(() => [ForecastCategoryTotal], { description: 'Open deals by the model category.' }) categories!: ForecastCategoryTotal[];
  @Field(() => [ForecastCategoryTotal], { description: "Open deals by category with reps' overrides applied." }) categoriesWithOverrides!: ForecastCategoryTotal[];
  @Field(() => MoneyScalar, { nullable: true, description: 'The latest called amount (adjustment) for this scope, next to the model number.' }) calledAmount!: number | null;
  @Field(() => [ForecastAdjustment], { description: 'Adjustments for this scope and period, latest first.' }) adjustments!: ForecastAdjustment[];
  @Field(() => [ForecastDeal]) topDeals!: ForecastDeal[];
}

@ObjectType({ description: 'Revenue forecast of a period as of a date.' })
export class Forecast {
  @Field() period!: string;
  @Field(() => Date) periodStart!: Date;
  @Field(() => Date) periodEnd!: Date;
  @Field(() => Date) asOf!: Date;
  @Field(() => ForecastGroupBy) groupBy!: ForecastGroupBy;
  @Field(() => ForecastGroup) total!: ForecastGroup;
  @Field(() => [ForecastGroup]) groups!: ForecastGroup[];
  @Field(() => Int, { description: 'Closed deals before the as-of date the model learned from.' }) closedDealsInHistory!: number;
  @Field(() => Int, { description: 'Past periods the new-business estimate rests on.' }) newBusinessPeriods!: number;
  @Field(() => Int) simulations!: number;
  @Field(() => Int) seed!: number;
  @Field(() => [String], { description: 'Where the history is thin and what the forecast did about it.' }) warnings!: string[];
  @Field(() => [ThinSpot], { description: 'The same, structured.' }) thin!: ThinSpot[];
  @Field(() => ForecastMethodChoice, { description: 'Which method is served and its out-of-sample record.' }) method!: ForecastMethodChoice;
  @Field({ description: 'Always false: reading a forecast stores nothing; snapshots are taken on a schedule (see forecastCall).', deprecationReason: 'Snapshots are scheduled: use forecastSnapshots or forecastCall.' }) snapshotSaved!: boolean;
}

@ObjectType({ description: 'The stage weight for deals already minDays in the stage (from the in-stage survival curve, which counts deals that never close).' })
export class AgeBucketWeight {
  @Field(() => Float) minDays!: number;
  @Field(() => Int, { description: 'Deals observed in the stage at least that long (closed or still open).' }) atRisk!: number;
  @Field(() => Float, { nullable: true }) weight!: number | null;
}

@ObjectType({ description: 'P(won | deal reached this stage), learned from closed deals.' })
export class StageWeight {
  @Field(() => ID) stageId!: string;
  @Field() stage!: string;
  @Field(() => Float, { description: 'Closed deals that reached the stage (sample size; fractional where apportioned).' }) reached!: number;
  @Field(() => Float, { description: 'Of them, won (fractional where deals of unknown history are apportioned).' }) won!: number;
  @Field(() => Float, { description: 'Share of `reached` apportioned from closed deals whose stages reached are unknown.' }) apportionedShare!: number;
  @Field(() => Float, { nullable: true }) rawRate!: number | null;
  @Field(() => Float, { nullable: true, description: 'Null only with INSUFFICIENT_HISTORY (no closed deal at all).' }) weight!: number | null;
  @Field(() => WeightStatus) status!: WeightStatus;
  @Field(() => Float) defaultProbability!: number;
  @Field(() => [AgeBucketWeight], { description: 'Weight for deals that stayed in the stage at least minDays.' }) ageBuckets!: AgeBucketWeight[];
  @Field(() => Float, { nullable: true }) maxWonDaysInStage!: number | null;
}

@ObjectType()
export class StageWeights {
  @Field(() => Date) asOf!: Date;
  @Field(() => [StageWeight]) stages!: StageWeight[];
  @Field(() => [MoneyScalar], { description: 'Size band bounds: SMALL < first <= MEDIUM < second <= LARGE.' }) sizeBandBounds!: number[];
  @Field(() => Int) minSample!: number;
}

@ObjectType()
export class SurvivalPoint {
  @Field(() => Float) days!: number;
  @Field(() => Float) survival!: number;
}

@ObjectType({ description: 'Time from entering a stage to closing (Kaplan–Meier; still-open deals are censored).' })
export class CycleDuration {
  @Field(() => ID) stageId!: string;
  @Field() stage!: string;
  @Field(() => Int) deals!: number;
  @Field(() => Int) closed!: number;
  @Field(() => Int, { description: 'Censored: still open at the as-of date.' }) stillOpen!: number;
  @Field(() => Float, { nullable: true }) p25Days!: number | null;
  @Field(() => Float, { nullable: true }) medianDays!: number | null;
  @Field(() => Float, { nullable: true }) p75Days!: number | null;
  @Field(() => Float, { nullable: true }) p90Days!: number | null;
  @Field(() => [SurvivalPoint], { description: 'S(t), at most 40 points.' }) curve!: SurvivalPoint[];
}


@ObjectType({ description: 'The served forecast of a past period: method and range chosen from the periods closed before it.' })
export class ServedBacktestPoint {
  @Field(() => ForecastMethod) method!: ForecastMethod;
  @Field(() => MoneyScalar) expected!: number;
  @Field(() => MoneyScalar) p10!: number;
  @Field(() => MoneyScalar) p50!: number;
  @Field(() => MoneyScalar) p90!: number;
  @Field(() => RangeSource) rangeSource!: RangeSource;
}

@ObjectType()
export class BacktestPeriod {
  @Field() period!: string;
  @Field(() => Date) periodStart!: Date;
  @Field(() => MoneyScalar) actual!: number;
  @Field(() => MoneyScalar) expected!: number;
  @Field(() => MoneyScalar) p10!: number;
  @Field(() => MoneyScalar) p50!: number;
  @Field(() => MoneyScalar) p90!: number;
  @Field(() => MoneyScalar, { nullable: true, description: 'Mean won revenue of the 3 previous periods.' }) runRate!: number | null;
  @Field(() => MoneyScalar, { description: 'Default stage probabilities x open pipeline expected to close in the period.' }) fixedWeight!: number;
  @Field(() => MoneyScalar, { nullable: true, description: 'The blend of pipeline model and run-rate with the weight fitted on earlier periods.' }) blend!: number | null;
  @Field(() => MoneyScalar, { nullable: true, description: 'The deal-win model, when one was trained before the period started.' }) dealModel!: number | null;
  @Field(() => ServedBacktestPoint, { description: 'What the forecast would have served as of the period start.' }) served!: ServedBacktestPoint;
}

@ObjectType()
export class ServedMethodCount {
  @Field(() => ForecastMethod) method!: ForecastMethod;
  @Field(() => Int) periods!: number;
}

@ObjectType({ description: 'Each past period forecast as of its start with only what was known then, vs what was won.' })
export class ForecastBacktest {
  @Field(() => BacktestInterval) interval!: BacktestInterval;
  @Field(() => [BacktestPeriod]) periods!: BacktestPeriod[];
  @Field(() => Accuracy, { description: 'The served forecast (method chosen and range measured as of each period start): what users would have seen.' }) served!: Accuracy;
  @Field(() => [ServedMethodCount], { description: 'How often each method was served.' }) servedMethods!: ServedMethodCount[];
  @Field(() => Accuracy, { description: 'The pipeline model alone, with its simulated P10–P90.' }) model!: Accuracy;
  @Field(() => Accuracy) runRate!: Accuracy;
  @Field(() => Accuracy) fixedWeight!: Accuracy;
  @Field(() => Accuracy, { description: 'Periods where the blend weight could be fitted.' }) blend!: Accuracy;
  @Field(() => Accuracy, { description: 'Periods where a deal-win model trained before them existed.' }) dealModel!: Accuracy;
}
