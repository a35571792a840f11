import { ArgsType, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MoneyScalar } from '../../graphql/money.scalar';
import { DealStatus } from '../../shared/enums';
import { MovementKind } from './movement.classify';
import type { MovementQuery } from './movement.service';

registerEnumType(MovementKind, {
  name: 'MovementKind',
  description: 'Why a deal moved the pipeline of a period between two dates.',
  valuesConfig: {
    NEW: { description: 'Created inside the window, expected in the period at the end.' },
    PULLED_IN: { description: 'Existed at the start but was expected outside the period (or had no date, or was closed): expected in it at the end.' },
    REASSIGNED_IN: { description: 'Was in the period but owned outside the scope at the start.' },
    INCREASED: { description: 'Amount raised while in the pipeline (before it left, for deals that left).' },
    DECREASED: { description: 'Amount lowered while in the pipeline.' },
    WON: { description: 'Won inside the window (at its amount then).' },
    LOST: { description: 'Lost inside the window.' },
    PUSHED_OUT: { description: 'Still open, now expected after the period (or its date cleared).' },
    REASSIGNED_OUT: { description: 'Now owned outside the scope (another team or rep). Deals are never deleted by any writer.' },
  },
});

@ArgsType()
export class PipelineMovementArgs {
  @Field(() => Date, { description: 'Start of the window: the first pipeline snapshot.' }) from!: Date;
  @Field(() => Date, { description: 'End of the window: the second pipeline snapshot (not in the future).' }) to!: Date;
  @Field({ description: 'The period whose expected closes make the pipeline: "2026-Q4", "2026-11" or "2026".' }) period!: string;
  @Field(() => ID, { nullable: true, description: 'Only deals owned by this team (at each instant).' }) teamId?: string;
  @Field(() => ID, { nullable: true, description: 'Only deals owned by this rep (at each instant).' }) repId?: string;
}

@ObjectType({ description: 'A pipeline at one instant: deals open, expected to close in the period, owned in the scope.' })
export class PipelineSnapshotTotal {
  @Field(() => MoneyScalar) amount!: number;
  @Field(() => Int) count!: number;
}

@ObjectType({ description: 'One deal behind a waterfall bar, with its values at both ends of the window.' })
export class MovementItem {
  @Field(() => ID) dealId!: string;
  @Field(() => MoneyScalar, { description: 'What this deal adds to (or takes from) the bar.' }) amount!: number;
  @Field(() => MoneyScalar) amountFrom!: number;
  @Field(() => MoneyScalar) amountTo!: number;
  @Field(() => Date, { nullable: true }) closeDateFrom!: Date | null;
  @Field(() => Date, { nullable: true }) closeDateTo!: Date | null;
  @Field(() => ID, { nullable: true }) ownerIdFrom!: string | null;
  @Field(() => ID, { nullable: true }) ownerIdTo!: string | null;
  @Field(() => DealStatus) statusTo!: DealStatus;
  @Field({ description: 'Whether the deal was in the start pipeline.' }) inStart!: boolean;
  @Field({ description: 'Whether the deal is in the end pipeline.' }) inEnd!: boolean;
}

@ObjectType({ description: 'One bar of the pipeline waterfall.' })
export class MovementBar {
  @Field(() => MovementKind) kind!: MovementKind;
  @Field() label!: string;
  @Field(() => Int, { description: '+1 adds to the pipeline, -1 takes from it.' }) sign!: number;
  @Field(() => MoneyScalar, { description: 'Positive; the sign says the direction.' }) amount!: number;
  @Field(() => Int, { description: 'Deals behind the bar.' }) count!: number;
  /** The question this bar answers: its `deals` field reads one page of them. */
  query!: MovementQuery;
}

@ObjectType({ description: 'The waterfall between two dates for the deals expected to close in a period: start + bars = end, exactly.' })
export class PipelineMovement {
  @Field() period!: string;
  @Field(() => Date) periodStart!: Date;
  @Field(() => Date) periodEnd!: Date;
  @Field(() => Date) from!: Date;
  @Field(() => Date) to!: Date;
  @Field(() => PipelineSnapshotTotal) start!: PipelineSnapshotTotal;
  @Field(() => PipelineSnapshotTotal) end!: PipelineSnapshotTotal;
  @Field(() => [MovementBar], { description: 'In waterfall order: new, pulled in, reassigned in, increased, decreased, won, lost, pushed out, reassigned out.' })
  bars!: MovementBar[];
}

export const MOVEMENT_LABELS: Record<MovementKind, string> = {
  NEW: 'New',
  PULLED_IN: 'Pulled in',
  REASSIGNED_IN: 'Reassigned in',
  INCREASED: 'Increased',
  DECREASED: 'Decreased',
  WON: 'Won',
  LOST: 'Lost',
  PUSHED_OUT: 'Pushed out',
  REASSIGNED_OUT: 'Reassigned out',
};
