import { Arg, Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Connection, PageArgs } from '../../graphql/connection';
import { loadRef } from '../../graphql/loaders';
import { DEFAULT_PAGE_SIZE } from '../../graphql/paginate';
import { toMajor } from '../../graphql/money.scalar';
import { BadInputError } from '../../shared/errors';
import { DealStatus } from '../../shared/enums';
import { Deal } from '../deal/deal.entity';
import { Rep } from '../rep/rep.entity';
import { MovementKind } from './movement.classify';
import { amountIn, getPipelineMovement } from './movement.service';
import { pipelineScope } from '../auth/forecast.policy';
import { MOVEMENT_LABELS, MovementBar, MovementItem, PipelineMovement, PipelineMovementArgs } from './movement.types';

export const MovementItemConnection = Connection(MovementItem);

@Resolver(() => PipelineMovement)
export class PipelineMovementResolver {
  @Query(() => PipelineMovement, { description: "Pipeline waterfall between two dates for the deals expected to close in a period, in the caller's scope." })
  async pipelineMovement(@Args() { from, to, period, teamId, repId }: PipelineMovementArgs, @Ctx() ctx: Context): Promise<PipelineMovement> {
    const result = await getPipelineMovement(ctx.em, { from, to, period, scope: await pipelineScope(ctx.access, ctx.em, teamId, repId) });
    return {
      period: result.periodLabel,
      periodStart: result.periodStart,
      periodEnd: result.periodEnd,
      from: result.from,
      to: result.to,
      start: { amount: toMajor(result.start.amount), count: result.start.count },
      end: { amount: toMajor(result.end.amount), count: result.end.count },
      bars: result.bars.map((b) => Object.assign(new MovementBar(), { kind: b.kind, label: MOVEMENT_LABELS[b.kind], sign: b.sign, amount: toMajor(b.amount), count: b.count, entries: b.entries })),
    };
  }
}

@Resolver(() => PipelineMovement)
export class PipelineMovementBarResolver {
  @FieldResolver(() => MovementBar, { description: 'One bar, e.g. to page through its deals.' })
  bar(@Root() movement: PipelineMovement, @Arg('kind', () => MovementKind) kind: MovementKind) {
    return movement.bars.find((b) => b.kind === kind)!;
  }
}

@Resolver(() => MovementBar)
export class MovementBarResolver {
  @FieldResolver(() => MovementItemConnection, { description: 'The deals behind the bar, largest contribution first.' })
  deals(@Root() bar: MovementBar, @Args() page: PageArgs, @Ctx() ctx: Context) {
    const first = page.first ?? DEFAULT_PAGE_SIZE;
    if (first < 1 || first > ctx.config.maxPageSize) throw new BadInputError('first', `first must be between 1 and ${ctx.config.maxPageSize}`);
    let offset = 0;
    if (page.after) {
      const afterId = Number(Buffer.from(page.after, 'base64url').toString('utf8').replace(/^deal:/, ''));
      const index = bar.entries.findIndex((e) => e.dealId === afterId);
      if (!Number.isInteger(afterId) || index < 0) throw new BadInputError('after', 'after is not a cursor of this bar');
      offset = index + 1;
    }
    const edges = bar.entries.slice(offset, offset + first).map((e) => ({
      cursor: Buffer.from(`deal:${e.dealId}`).toString('base64url'),
      node: Object.assign(new MovementItem(), {
        dealId: String(e.dealId),
        amount: toMajor(amountIn(e, bar.kind)),
        amountFrom: toMajor(e.start.amount),
        amountTo: toMajor(e.end.amount),
        closeDateFrom: e.start.closeDate == null ? null : new Date(e.start.closeDate),
        closeDateTo: e.end.closeDate == null ? null : new Date(e.end.closeDate),
        ownerIdFrom: e.start.owner == null ? null : String(e.start.owner),
        ownerIdTo: e.end.owner == null ? null : String(e.end.owner),
        statusTo: e.end.status as DealStatus,
        inStart: e.inStart,
        inEnd: e.inEnd,
      }),
    }));
    return {
      edges,
      pageInfo: { hasNextPage: offset + first < bar.entries.length, hasPreviousPage: offset > 0, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount: async () => bar.entries.length,
    };
  }
}

@Resolver(() => MovementItem)
export class MovementItemResolver {
  @FieldResolver(() => Deal, { nullable: true, description: 'The deal, when the caller may see it today (a deal reassigned out of its team is not).' })
  deal(@Root() item: MovementItem, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Deal, { id: Number(item.dealId) });
  }

  @FieldResolver(() => Rep, { nullable: true })
  ownerFrom(@Root() item: MovementItem, @Ctx() ctx: Context) {
    return item.ownerIdFrom == null ? null : loadRef(ctx.loaders, Rep, { id: Number(item.ownerIdFrom) });
  }

  @FieldResolver(() => Rep, { nullable: true })
  ownerTo(@Root() item: MovementItem, @Ctx() ctx: Context) {
    return item.ownerIdTo == null ? null : loadRef(ctx.loaders, Rep, { id: Number(item.ownerIdTo) });
  }
}
