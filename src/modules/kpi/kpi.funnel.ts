import type { Em } from '../../db/orm';
import { PipelineStage } from '../pipeline/stage.entity';
import { FunnelCohort, KpiDimension } from './kpi.enums';
import { KpiEngine } from './kpi.engine';
import type { KpiScope } from './kpi.plan';
import type { Funnel, FunnelStep } from './kpi.types';
import type { Period } from '../../shared/period';
import type { FilterValues } from './kpi.query';

/**
 * Funnels from the history, computed in SQL: counts reaching each step (a deal reached every stage up to the
 * furthest one in its stage history), conversions, and median / p75 durations with window functions.
 */
export async function funnel(em: Em, scope: KpiScope, cohort: FunnelCohort, period: Period, filter: FilterValues): Promise<Funnel> {
  const engine = new KpiEngine(em, scope);
  const steps = cohort === FunnelCohort.DEALS ? await dealSteps(em, engine, period, filter) : await leadSteps(engine, period, filter);
  const first = steps[0]?.count ?? 0;
  steps.forEach((step, i) => {
    const previous = i === 0 ? null : steps[i - 1].count;
    step.conversionFromPrevious = previous ? step.count / previous : null;
    step.conversionFromStart = first ? step.count / first : null;
    if (!step.count) step.reason = 'no member of the cohort reached this step';
  });
  return { cohort, period: { from: period.from, to: period.to, timeZone: period.timeZone, asOf: period.asOf }, steps };
}

async function dealSteps(em: Em, engine: KpiEngine, period: Period, filter: FilterValues): Promise<FunnelStep[]> {
  const stages = await em.find(PipelineStage, {}, { orderBy: { position: 'asc' } });
  const byStage = [KpiDimension.STAGE];
  const [reached, median, p75, won] = await Promise.all([
    engine.single('reach', 'reached', byStage, filter, period),
    engine.single('cohortExits', 'stageMedian', byStage, filter, period),
    engine.single('cohortExits', 'stageP75', byStage, filter, period),
    engine.single('opened', 'wonFromCohort', [], filter, period),
  ]);
  const steps: FunnelStep[] = stages
    .filter((s) => !s.isWon && !s.isLost)
    .map((s) => ({
      key: String(s.id),
      label: s.name,
      count: reached.get(String(s.id)) ?? 0,
      medianDays: median.get(String(s.id)) ?? null,
      p75Days: p75.get(String(s.id)) ?? null,
    }));
  const wonStage = stages.find((s) => s.isWon);
  if (wonStage) steps.push({ key: String(wonStage.id), label: wonStage.name, count: won.get('') ?? 0, medianDays: null, p75Days: null });
  return steps;
}

async function leadSteps(engine: KpiEngine, period: Period, filter: FilterValues): Promise<FunnelStep[]> {
  const counts: Array<[key: string, label: string, aggregate: string]> = [
    ['CREATED', 'Lead created', 'leads'],
    ['CONTACTED', 'Contacted', 'contacted'],
    ['MQL', 'Marketing-qualified', 'mqls'],
    ['SQL', 'Sales-qualified', 'qualified'],
    ['OPPORTUNITY', 'Converted to an opportunity', 'converted'],
    ['WON', 'Customer (deal won)', 'customers'],
  ];
  const timed = new Set(['CONTACTED', 'MQL', 'SQL', 'OPPORTUNITY']);
  return Promise.all(
    counts.map(async ([key, label, aggregate]) => {
      const [count, median, p75] = await Promise.all([
        engine.single('leadsCreated', aggregate, [], filter, period),
        timed.has(key) ? engine.single('leadsCreated', `${key}:median`, [], filter, period) : null,
        timed.has(key) ? engine.single('leadsCreated', `${key}:p75`, [], filter, period) : null,
      ]);
      return { key, label, count: count.get('') ?? 0, medianDays: median?.get('') ?? null, p75Days: p75?.get('') ?? null };
    }),
  );
}
