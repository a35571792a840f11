/**
 * What differs between the two scored kinds, in one place: the records' table and the table of their stored
 * scores, which statuses are open and which are the outcomes, how rows are read, the columns a stored score
 * carries besides the shared ones, which entity changes touch a record, and the training vocabulary. The
 * registry, the score store, the subscriber and training are written once for both.
 */
import type { Em } from '../../db/orm';
import { Activity } from '../activity/activity.entity';
import { Deal } from '../deal/deal.entity';
import { DealStageChange } from '../deal/stage-change.entity';
import { Lead } from '../lead/lead.entity';
import {
  DEAL_LABELS, LEAD_LABELS, OPEN_LEAD_STATUSES, leadKeys, loadDealRows, loadLeadRows, loadStages, type DealRow, type LeadRow, type Selection,
} from './dataset';
import type { RawRecord } from './features';
import { ModelKind } from './scoring.entity';

/** What rows of both kinds have: enough to score a record and store its score. */
export interface ScoredRow {
  id: number;
  status: string;
  ownerId: number | null;
  teamId: number | null;
  createdAt: number;
  record: RawRecord;
}

/** Rows of a selection, `limit` after `afterId` in id order (or before it, newest first). */
export type RowReader<R extends ScoredRow> = (selection: Selection, afterId?: number, limit?: number, newestFirst?: boolean) => Promise<R[]>;

export interface KindDescriptor<R extends ScoredRow = ScoredRow> {
  kind: ModelKind;
  /** The records, plural, in messages ("leads"). */
  noun: string;
  table: 'leads' | 'deals';
  scoreTable: 'lead_scores' | 'deal_scores';
  /** The stored score's primary key: the record's id. */
  scoreKey: 'lead_id' | 'deal_id';
  /** Records in these statuses are scored and stored (the queue); the others only score on demand. */
  openStatuses: readonly string[];
  /** The outcome a model predicts (label 1) and its opposite (label 0). */
  positive: string;
  negative: string;
  /** Columns a committed model must recognise values of in this database before it is served (modelFits). */
  fitKeys: string[];
  /** The column of the one-feature baseline a trained model is compared with. */
  baselineKey: string;
  labels: Record<string, string>;
  /** The model's input columns, from the training examples (leads add their custom attributes). */
  featureKeys(examples: Array<{ record: RawRecord }>): string[];
  /** A reader of this kind's rows for one unit of work (deals load the pipeline's stages once). */
  reader(em: Em): RowReader<R>;
  /** Stored-score columns of this kind besides the shared ones (the queue filters on them). */
  storedColumns(row: R): Record<string, unknown>;
  /** Entities whose changes can change a record's score. */
  entities: Array<abstract new (...args: never[]) => object>;
  /** The id of the record of this kind a changed entity touches, if any. */
  touchedBy(entity: object): number | undefined;
}

const LEAD: KindDescriptor<LeadRow> = {
  kind: ModelKind.LEAD,
  noun: 'leads',
  table: 'leads',
  scoreTable: 'lead_scores',
  scoreKey: 'lead_id',
  openStatuses: OPEN_LEAD_STATUSES,
  positive: 'CONVERTED',
  negative: 'DISQUALIFIED',
  fitKeys: ['source'],
  baselineKey: 'source',
  labels: LEAD_LABELS,
  featureKeys: leadKeys,
  reader: (em) => (selection, afterId, limit, newestFirst) => loadLeadRows(em, selection, afterId, limit, newestFirst),
  storedColumns: (row) => ({ status: row.status, source: row.source }),
  entities: [Lead, Activity],
  touchedBy: (e) => (e instanceof Lead ? e.id : e instanceof Activity ? e.lead?.id : undefined),
};

const DEAL: KindDescriptor<DealRow> = {
  kind: ModelKind.DEAL,
  noun: 'deals',
  table: 'deals',
  scoreTable: 'deal_scores',
  scoreKey: 'deal_id',
  openStatuses: ['OPEN'],
  positive: 'WON',
  negative: 'LOST',
  fitKeys: ['product.name', 'stage.name'],
  baselineKey: 'stage.name',
  labels: DEAL_LABELS,
  featureKeys: () => Object.keys(DEAL_LABELS),
  reader: (em) => {
    let stages: ReturnType<typeof loadStages> | undefined;
    return async (selection, afterId, limit, newestFirst) => loadDealRows(em, selection, await (stages ??= loadStages(em)), Date.now(), afterId, limit, newestFirst);
  },
  storedColumns: (row) => ({ stage_id: row.stageId }),
  entities: [Deal, Activity, DealStageChange],
  touchedBy: (e) => (e instanceof Deal ? e.id : e instanceof Activity || e instanceof DealStageChange ? e.deal?.id : undefined),
};

export const KINDS: Readonly<Record<ModelKind, KindDescriptor>> = { LEAD, DEAL } as Record<ModelKind, KindDescriptor>;
export const ALL_KINDS: readonly KindDescriptor[] = [LEAD, DEAL] as KindDescriptor[];
