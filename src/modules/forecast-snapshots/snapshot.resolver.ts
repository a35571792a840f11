import { Arg, Ctx, Field, Float, ID, Int, ObjectType, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { MoneyScalar, toMajor } from '../../graphql/money.scalar';
import { pipelineScope } from '../auth/forecast.policy';
import { accuracyAtWeek, callByWeek } from './snapshot.service';

@ObjectType({ description: 'The call in one week of a period: the latest scheduled forecast snapshot taken before the week ended.' })
export class ForecastCallWeek {
  @Field(() => Int, { description: '1 for the week starting on the first day of the period.' }) week!: number;
  @Field(() => Date) weekStart!: Date;
  @Field(() => Date, { nullable: true, description: 'When the snapshot was taken; null when none was taken yet.' }) asOf!: Date | null;
  @Field(() => MoneyScalar, { nullable: true }) expected!: number | null;
  @Field(() => MoneyScalar, { nullable: true }) p10!: number | null;
  @Field(() => MoneyScalar, { nullable: true }) p50!: number | null;
  @Field(() => MoneyScalar, { nullable: true }) p90!: number | null;
  @Field(() => MoneyScalar, { nullable: true }) closedWon!: number | null;
  @Field(() => MoneyScalar, { nullable: true }) pipeline!: number | null;
  @Field(() => MoneyScalar, { nullable: true, description: "The manager's called amount as it stood at the end of the week." }) calledAmount!: number | null;
}

@ObjectType()
export class ForecastCall {
  @Field() period!: string;
  @Field(() => [ForecastCallWeek]) weeks!: ForecastCallWeek[];
}

@ObjectType({ description: 'One finished period: its forecast at week N against what closed won.' })
export class ForecastAccuracyRow {
  @Field() period!: string;
  @Field(() => Date, { nullable: true }) asOf!: Date | null;
  @Field(() => MoneyScalar, { nullable: true }) forecast!: number | null;
  @Field(() => MoneyScalar, { nullable: true }) p10!: number | null;
  @Field(() => MoneyScalar, { nullable: true }) p90!: number | null;
  @Field(() => MoneyScalar) actual!: number;
  @Field(() => Float, { nullable: true, description: 'forecast / actual.' }) ratio!: number | null;
  @Field(() => Float, { nullable: true, description: '|forecast - actual| / actual.' }) absPctError!: number | null;
  @Field(() => Boolean, { nullable: true, description: 'Whether the actual fell inside the P10-P90 range.' }) withinRange!: boolean | null;
}

@ObjectType()
export class ForecastAccuracy {
  @Field(() => Int) week!: number;
  @Field(() => [ForecastAccuracyRow]) periods!: ForecastAccuracyRow[];
  @Field(() => Float, { nullable: true, description: 'Mean of absPctError over periods that have a snapshot.' }) meanAbsPctError!: number | null;
  @Field(() => Float, { nullable: true, description: 'Share of periods whose actual fell inside P10-P90.' }) withinRangeShare!: number | null;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

@Resolver()
export class ForecastSnapshotResolver {
  @Query(() => ForecastCall, { description: 'The call week by week: the scheduled forecast snapshots of a period (company, a team or a rep) and the called amount.' })
  async forecastCall(
    @Arg('period') period: string,
    @Arg('teamId', () => ID, { nullable: true }) teamId: string | undefined,
    @Arg('repId', () => ID, { nullable: true }) repId: string | undefined,
    @Ctx() ctx: Context,
  ): Promise<ForecastCall> {
    const scope = await pipelineScope(ctx.access, ctx.em, teamId, repId);
    const { period: p, weeks } = await callByWeek(ctx.em, period, scope);
    return {
      period: p.label,
      weeks: weeks.map(({ week, weekStart, snapshot: s, calledAmount }) => ({
        week, weekStart, calledAmount,
        asOf: s?.asOf ?? null,
        expected: s ? toMajor(s.expectedCents) : null,
        p10: s ? toMajor(s.p10Cents) : null,
        p50: s ? toMajor(s.p50Cents) : null,
        p90: s ? toMajor(s.p90Cents) : null,
        closedWon: s ? toMajor(s.closedWonCents) : null,
        pipeline: s ? toMajor(s.pipelineCents) : null,
      })),
    };
  }

  @Query(() => ForecastAccuracy, { description: 'Forecast accuracy at week N of each finished period: the snapshot then against the won amount.' })
  async forecastAccuracy(
    @Arg('periods', () => [String]) periods: string[],
    @Arg('week', () => Int) week: number,
    @Arg('teamId', () => ID, { nullable: true }) teamId: string | undefined,
    @Arg('repId', () => ID, { nullable: true }) repId: string | undefined,
    @Ctx() ctx: Context,
  ): Promise<ForecastAccuracy> {
    const scope = await pipelineScope(ctx.access, ctx.em, teamId, repId);
    const rows = await accuracyAtWeek(ctx.em, periods, week, scope);
    const scored = rows.filter((r) => r.absPctError != null);
    const ranged = rows.filter((r) => r.withinRange != null);
    return {
      week,
      periods: rows,
      meanAbsPctError: mean(scored.map((r) => r.absPctError!)),
      withinRangeShare: ranged.length ? ranged.filter((r) => r.withinRange).length / ranged.length : null,
    };
  }
}
