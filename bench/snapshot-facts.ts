/**
 * What a CRM snapshot export of a Pipewise world keeps, as forecast facts: each deal's current stage only (no stage
 * history), lost amounts 0, some open deals without a created date, and the import contract of `pipewise import`
 * (src/modules/import/stage-history.ts): an open deal enters its current stage at its created date; a won deal is
 * inferred through every open stage, stage 0 at its created date and the later ones spread evenly up to its close;
 * a lost deal keeps its first stage at its created date and is marked stage history unknown. Pure; used by the forecast
 * snapshot test and by bench/forecast-snapshot.ts until the real export / re-import path is available there.
 */
import { type FactTable, Outcome, createFactTable, isOpenAt, stageAt } from '../src/modules/forecast/facts';
import { createRng } from '../src/modules/forecast/monte-carlo';

export interface SnapshotOptions {
  /** Share of open deals exported without a created date. */
  undatedOpenShare: number;
  seed: number;
}
export const DEFAULT_SNAPSHOT_OPTIONS: SnapshotOptions = { undatedOpenShare: 0.1, seed: 7 };

/** The facts a snapshot exported at `exportedAt` would give back after re-import. */
export function snapshotFacts(t: FactTable, exportedAt: number, options: SnapshotOptions = DEFAULT_SNAPSHOT_OPTIONS): FactTable {
  const k = t.stages.length;
  const out = createFactTable(t.stages, t.n);
  const rng = createRng(options.seed);
  out.families = t.families;
  for (let i = 0; i < t.n; i++) {
    out.id[i] = t.id[i];
    out.team[i] = t.team[i];
    out.rep[i] = t.rep[i];
    out.product[i] = t.product[i];
    out.family[i] = t.family[i];
    out.category[i] = t.category[i];
    out.expectedClose[i] = t.expectedClose[i];
    out.outcome[i] = t.outcome[i];
    out.closed[i] = t.closed[i];
    out.amount[i] = t.outcome[i] === Outcome.LOST ? 0 : t.amount[i];
    out.created[i] = t.created[i];
    if (t.outcome[i] === Outcome.OPEN) {
      if (!isOpenAt(t, i, exportedAt)) continue;
      if (rng() < options.undatedOpenShare) {
        // as the loader reads an open deal without any date: open since it was recorded (the import, after the export)
        out.created[i] = exportedAt;
        out.entries[i * k + stageAt(t, i, exportedAt).stage] = exportedAt;
        out.dateUnknown[i] = 1;
        continue;
      }
      out.entries[i * k + stageAt(t, i, exportedAt).stage] = t.created[i];
    } else if (t.outcome[i] === Outcome.WON) {
      out.entries[i * k] = t.created[i];
      for (let s = 1; s < k; s++) out.entries[i * k + s] = t.created[i] + ((t.closed[i] - t.created[i]) * s) / k;
    } else {
      out.entries[i * k] = t.created[i];
      out.historyKnown[i] = 0;
    }
  }
  return out;
}
