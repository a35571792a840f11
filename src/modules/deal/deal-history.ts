/**
 * Deal field history: the one place that decides what a change of a deal is and how it is written down.
 * Every writer goes through `changedFields` (pure): ORM writers by calling `trackDealChanges` once after loading
 * the deal (the flush subscriber below then records what changed, in the writer's transaction), the importer
 * and the seed with plain rows of the same encoding.
 */
import { ChangeSetType, type EventSubscriber, type FlushEventArgs } from '@mikro-orm/core';
import { Deal } from './deal.entity';
import { ChangeSource, DealChange, DealField } from './deal-change.entity';

export const TRACKED_FIELDS = Object.values(DealField);

/** The tracked fields of a deal, encoded as stored in deal_changes (null = not set). */
export type TrackedValues = Record<DealField, string | null>;

export interface TrackedSource {
  amountCents: number | string;
  expectedCloseDate?: Date | null;
  stageId: number | null;
  ownerId?: number | null;
  status: string;
  forecastCategory?: string | null;
}

export function encodeTracked(d: TrackedSource): TrackedValues {
  return {
    [DealField.AMOUNT]: String(Number(d.amountCents)),
    [DealField.EXPECTED_CLOSE_DATE]: d.expectedCloseDate ? d.expectedCloseDate.toISOString() : null,
    [DealField.STAGE]: d.stageId == null ? null : String(d.stageId),
    [DealField.OWNER]: d.ownerId == null ? null : String(d.ownerId),
    [DealField.STATUS]: d.status,
    [DealField.FORECAST_CATEGORY]: d.forecastCategory ?? null,
  };
}

export const trackedOf = (deal: Deal): TrackedValues =>
  encodeTracked({
    amountCents: deal.amountCents,
    expectedCloseDate: deal.expectedCloseDate,
    stageId: deal.stage?.id ?? null,
    ownerId: deal.owner?.id ?? null,
    status: deal.status,
    forecastCategory: deal.forecastCategory,
  });

export interface FieldChange {
  field: DealField;
  oldValue: string | null;
  newValue: string | null;
}

/** The fields that differ between two encodings, in a stable order. */
export function changedFields(before: TrackedValues, after: TrackedValues): FieldChange[] {
  return TRACKED_FIELDS.filter((f) => before[f] !== after[f]).map((field) => ({ field, oldValue: before[field], newValue: after[field] }));
}

/** Who made the changes of one write and when they took effect. */
export interface ChangeAttribution {
  /** The acting rep; null for the system or a service account. */
  by: number | null;
  /** Default: the flush time. A backdated stage move or close passes its own date. */
  at?: Date;
  source?: ChangeSource;
}

const pending = new WeakMap<Deal, { before: TrackedValues; attribution: ChangeAttribution }>();

/**
 * Call once per write, right after loading (or creating) the deal: what changes before the transaction flushes is
 * recorded as DealChange rows in the same transaction (atomic with the write). A later call for the same deal in
 * the same write only updates the attribution.
 */
export function trackDealChanges(deal: Deal, attribution: ChangeAttribution): void {
  const entry = pending.get(deal);
  if (entry) entry.attribution = attribution;
  else pending.set(deal, { before: trackedOf(deal), attribution });
}

/** Registered on the ORM: turns tracked deals' differences into DealChange rows during the flush. */
export class DealHistorySubscriber implements EventSubscriber {
  async onFlush({ em, uow }: FlushEventArgs): Promise<void> {
    for (const cs of uow.getChangeSets()) {
      if (!(cs.entity instanceof Deal) || cs.type !== ChangeSetType.UPDATE) continue;
      const entry = pending.get(cs.entity);
      if (!entry) continue;
      pending.delete(cs.entity);
      const { by, at = new Date(), source = ChangeSource.API } = entry.attribution;
      for (const change of changedFields(entry.before, trackedOf(cs.entity))) {
        const row = em.create(DealChange, { deal: cs.entity, ...change, at, by: by == null ? null : em.getReference('Rep', by), source } as never);
        uow.computeChangeSet(row);
      }
    }
  }
}

/** A row of deal_changes for bulk writers (import, seed), columns as in `DEAL_CHANGE_COLUMNS`. */
export const DEAL_CHANGE_COLUMNS = ['created_at', 'updated_at', 'deal_id', 'field', 'old_value', 'new_value', 'at', 'by_id', 'source'] as const;

export function changeRows(dealId: number, changes: FieldChange[], at: Date, by: number | null, source: ChangeSource, stamp = at): Array<Array<string | number | Date | null>> {
  return changes.map((c) => [stamp, stamp, dealId, c.field, c.oldValue, c.newValue, at, by, source]);
}
