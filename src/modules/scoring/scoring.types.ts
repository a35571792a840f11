import { ArgsType, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ArrayMaxSize, IsIn, IsOptional } from 'class-validator';
import { PageArgs, PageInfo } from '../../graphql/connection';
import { LeadStatus } from '../../shared/enums';
import { Lead } from '../lead/lead.entity';
import { ModelKind } from './scoring.entity';

export enum ScoreMethod { MODEL = 'MODEL', RULES = 'RULES' }
registerEnumType(ScoreMethod, { name: 'ScoreMethod', description: 'MODEL: the trained, calibrated model; RULES: transparent points (not enough history to train).' });

@ObjectType({ description: 'One reason behind a score: a feature value and its signed effect on the log-odds against an average record.' })
export class ScoreFactor {
  @Field({ description: 'Feature key, e.g. source or attr.Total Visits.' }) feature!: string;
  @Field({ description: 'Readable, e.g. "Lead source: Referral".' }) label!: string;
  @Field(() => Float, { description: 'Positive raises the probability, negative lowers it (log-odds).' }) contribution!: number;
}

@ObjectType({ description: 'A propensity score: calibrated probability, 0–100 score, tier and the reasons.' })
export class Score {
  @Field(() => Float, { description: 'Calibrated probability (0..1): 0.3 means about 30 %.' }) probability!: number;
  @Field(() => Int, { description: 'round(100 × probability).' }) score!: number;
  @Field({ description: 'A (top 10 % of the holdout), B (next 20 %), C (next 30 %), D.' }) tier!: string;
  @Field(() => Float, { nullable: true, description: 'Share of the current open queue scoring lower (0..100).' }) percentile!: number | null;
  @Field(() => [ScoreFactor], { description: 'Top positive then top negative factors.' }) factors!: ScoreFactor[];
  @Field() modelVersion!: string;
  @Field(() => ScoreMethod) method!: ScoreMethod;
  @Field(() => String, { nullable: true, description: 'Why a rule-based score is served (e.g. insufficient data).' }) note!: string | null;
  @Field() scoredAt!: Date;
}

@ObjectType()
export class LeadQueueEdge {
  @Field() cursor!: string;
  @Field(() => Lead) node!: Lead;
  @Field(() => Score) score!: Score;
}

@ObjectType({ description: 'Open leads ranked by score (ties: most recent first).' })
export class LeadQueueConnection {
  @Field(() => [LeadQueueEdge]) edges!: LeadQueueEdge[];
  @Field(() => PageInfo) pageInfo!: PageInfo;
}

@InputType()
export class LeadQueueFilter {
  @Field(() => [LeadStatus], { nullable: true, description: 'Open statuses only: NEW, CONTACTED, QUALIFIED.' }) statuses?: LeadStatus[];
  @Field(() => [String], { nullable: true }) @IsOptional() @ArrayMaxSize(50) sources?: string[];
  @Field(() => [String], { nullable: true }) @IsOptional() @IsIn(['A', 'B', 'C', 'D'], { each: true }) tiers?: string[];
}

@ArgsType()
export class LeadQueueArgs extends PageArgs {
  @Field(() => ID, { nullable: true, description: "An SDR's own queue." }) owner?: string;
  @Field(() => ID, { nullable: true, description: "A team's queue (managers)." }) team?: string;
  @Field(() => LeadQueueFilter, { nullable: true }) filter?: LeadQueueFilter;
}

@ObjectType({ description: 'Holdout metrics (the newest part of the closed history when it has dates).' })
export class ModelMetrics {
  @Field(() => Int) count!: number;
  @Field(() => Int) positives!: number;
  @Field(() => Float) positiveRate!: number;
  @Field(() => Float, { description: 'ROC AUC.' }) auc!: number;
  @Field(() => Float, { description: 'Average precision (PR AUC).' }) prAuc!: number;
  @Field(() => Float) logLoss!: number;
  @Field(() => Float) brier!: number;
  @Field(() => Float, { description: 'Positive rate in the top 10 % over the overall rate.' }) lift10!: number;
  @Field(() => Float) lift20!: number;
  @Field(() => Float, { description: 'Expected calibration error: count-weighted mean |predicted − observed| over 10 probability bins.' }) calibrationError!: number;
}

@ObjectType()
export class BaselineMetrics {
  @Field({ description: 'logistic (same features) or rateBy:<feature> (conversion-rate table).' }) name!: string;
  @Field(() => Float) auc!: number;
  @Field(() => Float) prAuc!: number;
  @Field(() => Float) logLoss!: number;
  @Field(() => Float) brier!: number;
  @Field(() => Float) lift10!: number;
  @Field(() => Float, { nullable: true, description: 'Expected calibration error over 10 probability bins (null for models trained before it was recorded).' }) calibrationError!: number | null;
}

@ObjectType({ description: 'A column the leakage guard dropped, and the evidence.' })
export class LeakyFeature {
  @Field() feature!: string;
  @Field() label!: string;
  @Field({ description: 'separates (the column alone ranks the outcomes), pure-value (one value marks one outcome) or holdout-too-good (the strongest column of a candidate whose holdout was too good).' }) reason!: string;
  @Field(() => Float, { description: 'AUC of the column alone on the validation rows, or the discarded candidate\'s holdout AUC.' }) auc!: number;
  @Field() detail!: string;
}

@ObjectType({ description: 'What the leakage guard did: columns dropped before or between training passes, and whether activation is held for review.' })
export class LeakageReport {
  @Field(() => [LeakyFeature]) dropped!: LeakyFeature[];
  @Field(() => [Float], { description: 'Holdout AUC of each training pass, the discarded candidates first.' }) passAucs!: number[];
  @Field({ description: 'The holdout is still too good after retraining: leakage not pinned on one column.' }) suspect!: boolean;
  @Field({ description: 'True: the guard acted, so the model is never activated automatically (activateModel after review).' }) holdActivation!: boolean;
  @Field(() => String, { nullable: true }) message!: string | null;
}

@ObjectType()
export class CalibrationBin {
  @Field(() => Float) from!: number;
  @Field(() => Float) to!: number;
  @Field(() => Int) count!: number;
  @Field(() => Float) meanPredicted!: number;
  @Field(() => Float) observedRate!: number;
}

@ObjectType()
export class FeatureImportance {
  @Field() feature!: string;
  @Field() label!: string;
  @Field(() => Float, { description: 'Mean |contribution| to the log-odds over the holdout.' }) meanAbsContribution!: number;
}

@ObjectType({ description: 'Direction of a feature value: its mean contribution over the holdout rows holding it.' })
export class FeatureEffect {
  @Field() feature!: string;
  @Field() label!: string;
  @Field({ description: 'A category, or "higher" for a number.' }) value!: string;
  @Field(() => Float) effect!: number;
  @Field(() => Int) count!: number;
}

@ObjectType({ description: 'How a raw column was read: numeric or categorical (detected from the data), or dropped and why.' })
export class FeatureChoice {
  @Field() key!: string;
  @Field() label!: string;
  @Field() type!: string;
  @Field() detail!: string;
}

@ObjectType()
export class RescoreResult {
  @Field(() => ModelKind) kind!: ModelKind;
  @Field(() => Int) scored!: number;
  @Field(() => Float) seconds!: number;
  @Field() modelVersion!: string;
  @Field(() => ScoreMethod) method!: ScoreMethod;
}
