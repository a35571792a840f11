import { Arg, Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { Connection, PageArgs } from '../../graphql/connection';
import { loadRef } from '../../graphql/loaders';
import { DEFAULT_PAGE_SIZE } from '../../graphql/paginate';
import { toMajor } from '../../graphql/money.scalar';
import { cachedAnswer } from '../../shared/answer-cache';
import { BadInputError } from '../../shared/errors';
import { DealStatus } from '../../shared/enums';
import { Deal } from '../deal/deal.entity';
import { Rep } from '../rep/rep.entity';
import { MovementKind } from './movement.classify';
import { type MovementQuery, checkMovementQuery, getMovementPage, getPipelineMovement } from './movement.service';
import { pipelineScope } from '../auth/forecast.policy';
import { MOVEMENT_LABELS, MovementBar, MovementItem, PipelineMovement, PipelineMovementArgs } from './movement.types';

export const MovementItemConnection = Connection(MovementItem);

/** What a movement answer reads: deals and their field history, and reps (a team's members). */
const MOVEMENT_TABLES = ['deals', 'deal_changes', 'reps'] as const;
const cacheArgs = (q: MovementQuery) => ({ from: q.from, to: q.to, period: q.period });

@Resolver(() => PipelineMovement)
export class PipelineMovementResolver {
  @Query(() => PipelineMovement, { description: "Pipeline waterfall between two dates for the deals expected to close in a period, in the caller's scope." })
  async pipelineMovement(@Args() { from, to, period, teamId, repId }: PipelineMovementArgs, @Ctx() ctx: Context): Promise<PipelineMovement> {
    const query: MovementQuery = { from, to, period, scope: await pipelineScope(ctx.access, ctx.em, teamId, repId) };
    checkMovementQuery(query);
    const result = await cachedAnswer(ctx, { name: 'pipelineMovement', args: cacheArgs(query), scope: query.scope, tables: MOVEMENT_TABLES }, () => getPipelineMovement(ctx.em, query));
    return {
      period: result.periodLabel,
      periodStart: result.periodStart,
      periodEnd: result.periodEnd,
      from: result.from,
      to: result.to,
      start: { amount: toMajor(result.start.amount), count: result.start.count },
      end: { amount: toMajor(result.end.amount), count: result.end.count },
      bars: result.bars.map((b) => Object.assign(new MovementBar(), { kind: b.kind, label: MOVEMENT_LABELS[b.kind], sign: b.sign, amount: toMajor(b.amount), count: b.count, query })),
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

const cursorOf = (dealId: number) => Buffer.from(`deal:${dealId}`).toString('base64url');

@Resolver(() => MovementBar)
export class MovementBarResolver {
  @FieldResolver(() => MovementItemConnection, { description: 'The deals behind the bar, largest contribution first.' })
  async deals(@Root() bar: MovementBar, @Args() page: PageArgs, @Ctx() ctx: Context) {
    const first = page.first ?? DEFAULT_PAGE_SIZE;
    if (first < 1 || first > ctx.config.maxPageSize) throw new BadInputError('first', `first must be between 1 and ${ctx.config.maxPageSize}`);
    let afterId: number | null = null;
    if (page.after) {
      afterId = Number(Buffer.from(page.after, 'base64url').toString('utf8').replace(/^deal:/, ''));
      if (!Number.isSafeInteger(afterId) || afterId < 1) throw new BadInputError('after', 'after is not a cursor of this bar');
    }
    const q = bar.query;
    const spec = { name: 'pipelineMovementPage', args: { ...cacheArgs(q), kind: bar.kind, first, afterId }, scope: q.scope, tables: MOVEMENT_TABLES };
    const { items, hasNextPage } = await cachedAnswer(ctx, spec, () => getMovementPage(ctx.em, q, bar.kind, first, afterId));
    const edges = items.map((e) => ({
      cursor: cursorOf(e.dealId),
      node: Object.assign(new MovementItem(), {
        dealId: String(e.dealId),
        amount: toMajor(e.amount),
        amountFrom: toMajor(e.amountFrom),
        amountTo: toMajor(e.amountTo),
        closeDateFrom: e.closeDateFrom == null ? null : new Date(e.closeDateFrom),
        closeDateTo: e.closeDateTo == null ? null : new Date(e.closeDateTo),
        ownerIdFrom: e.ownerFrom == null ? null : String(e.ownerFrom),
        ownerIdTo: e.ownerTo == null ? null : String(e.ownerTo),
        statusTo: e.statusTo as DealStatus,
        inStart: e.inStart,
        inEnd: e.inEnd,
      }),
    }));
    return {
      edges,
      pageInfo: { hasNextPage, hasPreviousPage: afterId != null, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount: async () => bar.count,
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
