import { Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { PipelineStage } from './stage.entity';

@Resolver(() => PipelineStage)
export class StageResolver {
  @Query(() => [PipelineStage], { description: 'The pipeline stages in order; won and lost come last.' })
  stages(@Ctx() ctx: Context) {
    return ctx.em.find(PipelineStage, {}, { orderBy: { position: 'asc' } });
  }
}
