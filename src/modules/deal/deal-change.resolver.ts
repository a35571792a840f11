import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../../graphql/context';
import { loadRef } from '../../graphql/loaders';
import { toMajor } from '../../graphql/money.scalar';
import { PipelineStage } from '../pipeline/stage.entity';
import { Rep } from '../rep/rep.entity';
import { Deal } from './deal.entity';
import { DealChange, DealField } from './deal-change.entity';

/** A stored value as clients read it: amounts in major units, everything else as stored. */
function display(field: DealField, value: string | null | undefined): string | null {
  if (value == null) return null;
  return field === DealField.AMOUNT ? String(toMajor(Number(value))) : value;
}

/** A readable form: stage and owner names instead of ids (null when not set or not visible to the caller). */
async function label(ctx: Context, field: DealField, value: string | null | undefined): Promise<string | null> {
  if (value == null) return null;
  if (field === DealField.STAGE) return (await loadRef(ctx.loaders, PipelineStage, { id: Number(value) }))?.name ?? null;
  if (field === DealField.OWNER) return (await loadRef(ctx.loaders, Rep, { id: Number(value) }))?.name ?? null;
  if (field === DealField.EXPECTED_CLOSE_DATE) return value.slice(0, 10);
  return display(field, value);
}

@Resolver(() => Deal)
export class DealChangesResolver {
  @FieldResolver(() => [DealChange], { description: 'Changes of the tracked fields (amount, expected close date, stage, owner, status, forecast category), oldest first.' })
  changes(@Root() deal: Deal, @Ctx() ctx: Context) {
    return ctx.loaders.children(DealChange, 'deal', { at: 'asc' }).load(deal.id);
  }
}

@Resolver(() => DealChange)
export class DealChangeResolver {
  @FieldResolver(() => String, { nullable: true, description: 'The value before: an amount in major units, an ISO date, a stage or rep id, an enum name; null when unset.' })
  oldValue(@Root() change: DealChange) {
    return display(change.field, change.oldValue);
  }

  @FieldResolver(() => String, { nullable: true, description: 'The value after, encoded as oldValue.' })
  newValue(@Root() change: DealChange) {
    return display(change.field, change.newValue);
  }

  @FieldResolver(() => String, { nullable: true, description: 'The value before for people: stage and owner names, dates as YYYY-MM-DD.' })
  oldLabel(@Root() change: DealChange, @Ctx() ctx: Context) {
    return label(ctx, change.field, change.oldValue);
  }

  @FieldResolver(() => String, { nullable: true, description: 'The value after for people.' })
  newLabel(@Root() change: DealChange, @Ctx() ctx: Context) {
    return label(ctx, change.field, change.newValue);
  }

  @FieldResolver(() => Rep, { nullable: true, description: 'Who made the change; null for the system, a service account or an import.' })
  by(@Root() change: DealChange, @Ctx() ctx: Context) {
    return loadRef(ctx.loaders, Rep, change.by);
  }
}
