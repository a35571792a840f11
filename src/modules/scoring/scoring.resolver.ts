import DataLoader from 'dataloader';
import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Rep } from '../rep/rep.entity';
import { Team } from '../team/team.entity';
import { GraphQLJSONObject } from 'graphql-scalars';
import type { Context } from '../../graphql/context';
import { Deal } from '../deal/deal.entity';
import { Lead } from '../lead/lead.entity';
import { ModelKind, ModelVersion } from './scoring.entity';
import type { ScoreView } from './score-store';
import * as scoring from './scoring.service';
import { AccessRole } from '../auth/identity';

/** The model registry (metrics, versions, jobs): MANAGER and above; training, activation, rescoring: ADMIN. */
const REGISTRY_READERS = [AccessRole.MANAGER, AccessRole.EXEC, AccessRole.ADMIN];
import {
  BaselineMetrics, CalibrationBin, FeatureChoice, FeatureEffect, FeatureImportance, LeadQueueArgs, LeadQueueConnection, LeakageReport, ModelMetrics, RescoreResult, Score,
} from './scoring.types';
import { expectedCalibrationError, type BinaryMetrics } from './metrics';
import type { TrainedModelInfo } from './trainer';

type Loaded = ScoreView & { percentile: number | null };
const loaders = new WeakMap<Context, Record<ModelKind, DataLoader<{ id: number; updatedAt: Date }, Loaded | null, number>>>();

/** One batched scoring call per request and kind, however many leads or deals the query returns. */
function scoreLoader(ctx: Context, kind: ModelKind) {
  let perRequest = loaders.get(ctx);
  if (!perRequest) {
    const make = (k: ModelKind) =>
      new DataLoader<{ id: number; updatedAt: Date }, Loaded | null, number>(
        async (records) => {
          const scores = await scoring.scoresFor(ctx.em, ctx.scoring, k, [...records]);
          return records.map((r) => scores.get(r.id) ?? null);
        },
        { cacheKeyFn: (r) => r.id },
      );
    perRequest = { LEAD: make(ModelKind.LEAD), DEAL: make(ModelKind.DEAL) };
    loaders.set(ctx, perRequest);
  }
  return perRequest[kind];
}

@Resolver(() => Lead)
export class LeadScoreResolver {
  @FieldResolver(() => Score, { nullable: true, description: 'Propensity to convert: calibrated probability, tier, percentile in the open queue and reasons.' })
  score(@Root() lead: Lead, @Ctx() ctx: Context) {
    return scoreLoader(ctx, ModelKind.LEAD).load({ id: lead.id, updatedAt: lead.updatedAt });
  }
}

@Resolver(() => Deal)
export class DealScoreResolver {
  @FieldResolver(() => Score, { nullable: true, description: 'Probability that the deal is won, with tier, percentile among open deals and reasons.' })
  winProbability(@Root() deal: Deal, @Ctx() ctx: Context) {
    return scoreLoader(ctx, ModelKind.DEAL).load({ id: deal.id, updatedAt: deal.updatedAt });
  }
}

@Resolver(() => ModelVersion)
export class ModelVersionResolver {
  @FieldResolver(() => ModelMetrics, { nullable: true, description: 'Holdout metrics of the calibrated model.' })
  metrics(@Root() row: ModelVersion) {
    const metrics = row.report?.metrics as (BinaryMetrics & { calibrationError?: number }) | undefined;
    return metrics ? { ...metrics, calibrationError: metrics.calibrationError ?? expectedCalibrationError(metrics.calibration) } : null;
  }

  @FieldResolver(() => [CalibrationBin], { description: 'Holdout calibration table: 10 bins of predicted probability.' })
  calibration(@Root() row: ModelVersion) {
    return ((row.report?.metrics as { calibration?: unknown[] } | undefined)?.calibration ?? []) as CalibrationBin[];
  }

  @FieldResolver(() => [BaselineMetrics], { description: 'Simple baselines on the same holdout.' })
  baselines(@Root() row: ModelVersion) {
    return Object.entries((row.report?.baselines ?? {}) as Record<string, object>).map(([name, m]) => ({ calibrationError: null, name, ...m }));
  }

  @FieldResolver(() => LeakageReport, { description: 'What the leakage guard dropped, and whether activation is held for review.' })
  leakage(@Root() row: ModelVersion): LeakageReport {
    const report = row.report?.leakage as TrainedModelInfo['leakage'] | undefined;
    const warning = (row.report?.leakageWarning as string | null | undefined) ?? null;
    if (!report) return { dropped: [], passAucs: [], suspect: warning !== null, holdActivation: warning !== null, message: warning };
    return { dropped: report.dropped, passAucs: report.passes.map((p) => p.holdoutAuc), suspect: report.suspect, holdActivation: report.holdActivation, message: report.message };
  }

  @FieldResolver(() => [FeatureImportance])
  featureImportance(@Root() row: ModelVersion) {
    return (row.report?.importance ?? []) as FeatureImportance[];
  }

  @FieldResolver(() => [FeatureEffect])
  featureEffects(@Root() row: ModelVersion) {
    return (row.report?.effects ?? []) as FeatureEffect[];
  }

  @FieldResolver(() => [FeatureChoice], { description: 'Each raw column and how it was encoded (or why dropped).' })
  features(@Root() row: ModelVersion) {
    return (row.report?.featureDescription ?? []) as FeatureChoice[];
  }

  @FieldResolver(() => String, { nullable: true, description: 'What the leakage guard did or suspects (null when nothing): leakage.message.' })
  leakageWarning(@Root() row: ModelVersion) {
    return (row.report?.leakageWarning as string | null | undefined) ?? null;
  }

  @FieldResolver(() => GraphQLJSONObject, { nullable: true, description: 'Split sizes, candidates compared, calibration parameters, tier cut-offs, library versions.' })
  details(@Root() row: ModelVersion) {
    if (!row.report) return null;
    const { split, candidates, platt, cutoffs, counts, positiveWeight, libraries, seed } = row.report as Record<string, unknown>;
    return { split, candidates, platt, cutoffs, counts, positiveWeight, libraries, seed };
  }
}

@Resolver()
export class ScoringResolver {
  @Query(() => LeadQueueConnection, { description: "Open leads ranked by score (ties by recency) with the reasons: an SDR's queue (owner) or a team's (team)." })
  async leadQueue(@Args() { owner, team, filter, first, after }: LeadQueueArgs, @Ctx() ctx: Context) {
    // Another rep's or team's queue is FORBIDDEN; without arguments, the caller's own slice.
    // Named like any id: NOT_FOUND when unreadable, then FORBIDDEN when not the caller's (aggregate.policy.ts).
    if (owner) await ctx.access.findOrFail(ctx.em, Rep, owner, 'owner');
    if (team) await ctx.access.findOrFail(ctx.em, Team, team, 'team');
    if (owner) await ctx.access.assertRep(owner, 'owner');
    if (team) ctx.access.assertTeam(team, 'team');
    const visibleOwnerIds = await ctx.access.repIds();
    return scoring.leadQueue(ctx.em, ctx.scoring, { visibleOwnerIds, ownerId: owner, teamId: team, statuses: filter?.statuses, sources: filter?.sources, tiers: filter?.tiers }, first ?? 20, after, ctx.config.maxPageSize);
  }

  @Query(() => [ModelVersion], { description: 'Trained models, newest first, with metrics and status.' })
  models(@Arg('kind', () => ModelKind, { nullable: true }) kind: ModelKind | null, @Ctx() ctx: Context) {
    ctx.access.requireRole(REGISTRY_READERS, 'Reading the model registry');
    return scoring.listModels(ctx.em, kind);
  }

  @Query(() => ModelVersion)
  model(@Arg('version') version: string, @Ctx() ctx: Context) {
    ctx.access.requireRole(REGISTRY_READERS, 'Reading the model registry');
    return scoring.findModel(ctx.em, version);
  }

  @Query(() => ModelVersion, { description: 'A training job (the registry row): status, progress, message, metrics when READY.' })
  trainingJob(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    ctx.access.requireRole(REGISTRY_READERS, 'Reading the model registry');
    return scoring.findModelById(ctx.em, id);
  }

  @Mutation(() => ModelVersion, { description: 'Starts training in the background; poll trainingJob(id) or models(kind).' })
  trainModel(@Arg('kind', () => ModelKind) kind: ModelKind, @Ctx() ctx: Context) {
    ctx.access.requireRole([AccessRole.ADMIN], 'Training a model');
    return ctx.scoring.training.start(ctx.em, kind);
  }

  @Mutation(() => ModelVersion, { description: 'Makes a READY model the one every server serves; stored scores follow.' })
  activateModel(@Arg('version') version: string, @Ctx() ctx: Context) {
    ctx.access.requireRole([AccessRole.ADMIN], 'Activating a model');
    return ctx.scoring.registry.activate(ctx.em, version);
  }

  @Mutation(() => RescoreResult, { description: 'Scores every open lead or deal now with the active model.' })
  rescore(@Arg('kind', () => ModelKind) kind: ModelKind, @Ctx() ctx: Context) {
    ctx.access.requireRole([AccessRole.ADMIN], 'Rescoring');
    return ctx.scoring.store.rescoreAll(kind);
  }
}
