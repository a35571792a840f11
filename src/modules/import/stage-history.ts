/**
 * The stage history an export implies when it has only the current stage and a few dates. Pure: no database.
 *
 * What is known comes first: per-stage entry dates from the mapping's `stageDates` columns (a blank cell in a
 * mapped column means the deal never entered that stage, as in HubSpot's "Date entered <stage>"), the created
 * date (entry into the first open stage) and the close date (entry into Won / Lost). Then, stated as inferences:
 * - a won deal passed through every open stage up to its close;
 * - a lost deal with a "stage at loss" passed through every open stage up to that one (likewise up to its last
 *   dated stage when every later stage has a date column, whose blanks then say it went no further);
 * - a lost deal whose last open stage is not known (no stage at loss, and no date column for the stages after
 *   its last dated one) is recorded as unknown: `stageHistoryKnown` false, and its history holds only what is
 *   known, so that estimators do not read it as a loss at its first stage.
 * Inferred entries without a date of their own are spread evenly between the known dates around them.
 */

export interface HistoryStage {
  id: number;
  position: number;
  isWon: boolean;
  isLost: boolean;
}

export interface HistoryInput {
  stage: HistoryStage;
  /** The pipeline's open stages, in any order. */
  openStages: HistoryStage[];
  openedAt: Date | null;
  closedAt: Date | null;
  /** Stage id -> entry date, for the stages the mapping has a date column for (null: blank, never entered). */
  stageDates: Map<number, Date | null>;
  /** The open stage a lost deal was lost at, when the export says. */
  stageAtLoss: HistoryStage | null;
}

export interface HistoryStep {
  from: HistoryStage | null;
  to: HistoryStage;
  at: Date;
  /** False only for entries the export dated itself (stage date columns). */
  inferred: boolean;
}

export type HistoryInference =
  | 'WON_THROUGH_OPEN_STAGES'
  | 'LOST_THROUGH_STAGES_TO_LOSS'
  | 'LOST_STAGE_UNKNOWN'
  | 'FIRST_STAGE_AT_CREATED'
  | 'OPEN_STAGE_ENTERED_UNDATED';

export const INFERENCE_TEXT: Record<HistoryInference, string> = {
  WON_THROUGH_OPEN_STAGES: 'won deal: inferred to have passed through every open stage up to its close (stages without a date spread evenly between the known dates)',
  LOST_THROUGH_STAGES_TO_LOSS: 'lost deal: inferred to have passed through every open stage up to the last one it reached (its stage at loss, or its last dated stage when every later stage has a date column)',
  LOST_STAGE_UNKNOWN: 'lost deal whose last open stage is unknown: recorded as unknown (stageHistoryKnown = false); its history holds only its dated stages and the loss',
  FIRST_STAGE_AT_CREATED: 'entered the first open stage on its created date',
  OPEN_STAGE_ENTERED_UNDATED: 'open deal: entered its current stage on its created date (or its last dated stage), the export gives no date for it',
};

export interface DealHistory {
  steps: HistoryStep[];
  stageHistoryKnown: boolean;
  /** When the deal entered its current stage, as far as known. */
  stageEnteredAt: Date | null;
  inferences: HistoryInference[];
  /** Stage dates that ran backwards along the pipeline (kept in pipeline order, clamped). */
  outOfOrder: boolean;
}

interface Slot {
  stage: HistoryStage;
  at: Date | null;
  inferred: boolean;
  /** False for the close: without a close date it stays undated (and is not recorded). */
  fillable: boolean;
}

export function buildStageHistory(input: HistoryInput): DealHistory {
  const open = [...input.openStages].sort((a, b) => a.position - b.position);
  const closed = input.stage.isWon || input.stage.isLost;
  const covered = (i: number) => input.stageDates.has(open[i].id);
  const dated = (i: number) => input.stageDates.get(open[i].id) ?? null;
  const datedIndexes = open.map((_, i) => i).filter((i) => dated(i) !== null);
  const lastDated = datedIndexes.length ? datedIndexes[datedIndexes.length - 1] : -1;
  const inferences = new Set<HistoryInference>();

  // The last open stage reached, and whether it is known.
  let reach: number;
  let known = true;
  if (!closed) reach = Math.max(0, open.findIndex((s) => s.id === input.stage.id));
  else if (input.stage.isWon) reach = open.length - 1;
  else if (input.stageAtLoss) reach = Math.max(lastDated, open.findIndex((s) => s.id === input.stageAtLoss!.id));
  else {
    reach = lastDated;
    known = lastDated >= 0 && open.slice(lastDated + 1).every((_, k) => covered(lastDated + 1 + k));
  }

  const slots: Slot[] = [];
  const slot = (stage: HistoryStage, at: Date | null, inferred: boolean) => slots.push({ stage, at, inferred, fillable: true });
  // An unknown loss still records its first stage at its created date (what is known).
  for (let i = 0; i <= (known ? reach : Math.max(reach, 0)); i++) {
    const at = dated(i);
    if (at) slot(open[i], at, false);
    // Created in the first stage; for an open deal only when its current stage has a later date of its own (else
    // it is simply in its current stage since it was created).
    else if (i === 0 && input.openedAt && !covered(0) && (closed || (reach > 0 && dated(reach) !== null))) {
      slot(open[0], input.openedAt, true);
      inferences.add('FIRST_STAGE_AT_CREATED');
    } else if (!closed && i === reach) {
      slot(open[i], null, true); // an open deal is in its current stage (an inference once something dates it)
    } else if (closed && known && !covered(i)) {
      slot(open[i], null, true);
      inferences.add(input.stage.isWon ? 'WON_THROUGH_OPEN_STAGES' : 'LOST_THROUGH_STAGES_TO_LOSS');
    }
  }
  if (closed && !known) inferences.add('LOST_STAGE_UNKNOWN');
  if (closed) slots.push({ stage: input.stage, at: input.closedAt, inferred: true, fillable: false });

  const current = !closed ? slots.find((x) => x.stage.id === input.stage.id && x.inferred && !x.at) : undefined;
  const outOfOrder = fillDates(slots, input.openedAt);
  if (current?.at) inferences.add('OPEN_STAGE_ENTERED_UNDATED');
  const steps: HistoryStep[] = [];
  let from: HistoryStage | null = null;
  for (const slot of slots) {
    if (!slot.at) continue; // nothing dates it at all
    steps.push({ from, to: slot.stage, at: slot.at, inferred: slot.inferred });
    from = slot.stage;
  }
  const last = steps[steps.length - 1];
  const stageEnteredAt = last && last.to.id === input.stage.id ? last.at : (closed ? input.closedAt : input.openedAt);
  return { steps, stageHistoryKnown: known, stageEnteredAt, inferences: [...inferences], outOfOrder };
}

/**
 * Dates the undated slots: evenly between the known dates around them; after the last known date, at it (an open
 * deal's current stage entered no earlier than its last dated stage). Known dates running backwards are clamped
 * to the previous one. Returns whether any was clamped.
 */
function fillDates(slots: Slot[], openedAt: Date | null): boolean {
  let outOfOrder = false;
  let previous: number | null = null;
  for (const slot of slots) {
    if (!slot.at) continue;
    if (previous !== null && slot.at.getTime() < previous) {
      slot.at = new Date(previous);
      outOfOrder = true;
    }
    previous = slot.at.getTime();
  }
  for (let i = 0; i < slots.length; i++) {
    if (slots[i].at || !slots[i].fillable) continue;
    let j = i;
    while (j < slots.length && !slots[j].at && slots[j].fillable) j++;
    const before = i > 0 ? (slots[i - 1].at?.getTime() ?? null) : (openedAt?.getTime() ?? null);
    const after = j < slots.length && slots[j].at ? slots[j].at!.getTime() : null;
    for (let k = i; k < j; k++) {
      const at = before !== null && after !== null ? before + ((after - before) * (k - i + 1)) / (j - i + 1)
        : before ?? after;
      slots[k].at = at === null ? null : new Date(Math.round(at));
    }
    i = j;
  }
  return outOfOrder;
}
