/**
 * A wide group-by in a compact shape: one row per group (rep, team...) with one value per time bucket, instead of
 * one object per (group, bucket). Revenue by REP x MONTH over two years is 2,215 rows of 24 values here against
 * 53,160 row objects in `kpi`: the same numbers (the same plan and SQL, the values assembled straight into the matrix,
 * kpi.assemble.ts matrixLines) at a fraction of the assembly, execution and serialisation cost. Additive to the
 * schema; `kpi` keeps its shape.
 */
import { Arg, Ctx, Field, Float, ObjectType, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { KPI_TABLES, cachedAnswer } from '../../shared/answer-cache';
import { BadInputError } from '../../shared/errors';
import { KpiDimension, KpiUnit, isTimeDimension } from './kpi.enums';
import { KpiFilterInput, KpiPeriodInput } from './kpi.inputs';
import { KpiBucket, KpiGroup, KpiPeriod } from './kpi.types';
import { assertKpisVisible, kpiScopeFor } from './kpi.resolver';
import { computeKpiMatrix, toFilter, toPeriod } from './kpi.service';

@ObjectType({ description: 'The values of one group (e.g. one rep) in every bucket, in the order of `buckets`.', simpleResolvers: true })
export class KpiMatrixRow {
  @Field(() => [KpiGroup], { description: 'One entry per groupBy dimension, in request order.' }) groups!: KpiGroup[];
  @Field(() => [Float], { nullable: 'items', description: 'values[i] is the KPI in buckets[i]; null where it cannot be computed (see `kpi` rows for the reason).' })
  values!: Array<number | null>;
}

@ObjectType({ description: 'A KPI grouped by dimensions and a time grain, as a matrix: rows are groups, columns are buckets.' })
export class KpiMatrix {
  @Field() key!: string;
  @Field(() => KpiUnit) unit!: KpiUnit;
  @Field(() => KpiPeriod) period!: KpiPeriod;
  @Field(() => [KpiBucket], { description: 'The columns, oldest first.' }) buckets!: KpiBucket[];
  @Field(() => [KpiMatrixRow]) rows!: KpiMatrixRow[];
}

@Resolver()
export class KpiMatrixResolver {
  @Query(() => KpiMatrix, { description: 'One KPI grouped by dimensions and one time grain, as a matrix (the compact shape of `kpi` for wide group-bys).' })
  async kpiMatrix(
    @Arg('key', { description: 'KPI key from kpiDefinitions, e.g. "revenue".' }) key: string,
    @Arg('period', () => KpiPeriodInput) period: KpiPeriodInput,
    @Arg('groupBy', () => [KpiDimension], { description: 'The row dimensions (no time grain), e.g. [REP].' }) groupBy: KpiDimension[],
    @Arg('bucketBy', () => KpiDimension, { description: 'The column time grain: DAY, WEEK, MONTH, QUARTER or YEAR.' }) bucketBy: KpiDimension,
    @Arg('filter', () => KpiFilterInput, { nullable: true }) filter: KpiFilterInput | undefined,
    @Ctx() ctx: Context,
  ): Promise<KpiMatrix> {
    if (!isTimeDimension(bucketBy)) throw new BadInputError('bucketBy', 'bucketBy is a time grain: DAY, WEEK, MONTH, QUARTER or YEAR');
    if (groupBy.some(isTimeDimension)) throw new BadInputError('groupBy', 'groupBy holds the row dimensions; the time grain goes in bucketBy');
    assertKpisVisible(ctx, [key]);
    const scope = await kpiScopeFor(ctx, filter ?? {});
    const dims = [...groupBy, bucketBy];
    // The values of `kpi` with groupBy [...groupBy, bucketBy], assembled straight into the matrix (no row objects).
    return cachedAnswer(ctx, { name: 'kpiMatrix', args: { key, period, filter, groupBy: dims }, scope, tables: KPI_TABLES }, () =>
      computeKpiMatrix(ctx.em, scope, key, { period: toPeriod(period), filter: toFilter(filter), groupBy: dims, withTargets: false }),
    );
  }
}
