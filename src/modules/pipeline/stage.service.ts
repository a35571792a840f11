import type { Em } from '../../db/orm';
import { DEFAULT_STAGES, PipelineStage } from './stage.entity';

/** Creates the default pipeline when the company has none yet; returns the stages in order. */
export async function ensureDefaultPipeline(em: Em): Promise<PipelineStage[]> {
  const existing = await em.find(PipelineStage, {}, { orderBy: { position: 'asc' } });
  if (existing.length) return existing;
  const stages = DEFAULT_STAGES.map((stage) => em.create(PipelineStage, stage));
  await em.flush();
  return stages;
}
