/**
 * Leakage screening: finds raw columns that alone separate the outcomes (amount 0 on every lost deal, a column
 * filled in only for converted leads, a copy of the label). Each column is turned into a one-column score (its
 * value's outcome rate on the training rows: categories as they are, numbers in quantile bins, missing as its
 * own value) and judged on the validation rows, so an identifier that memorises the training rows does not
 * pass for a leak, while a real leak separates rows it has never seen. Pure: no database, no TensorFlow.
 */
import { canonical, detectKind, parseNumber, type RawRecord } from './features';
import { rocAuc } from './metrics';

export interface Labelled {
  record: RawRecord;
  label: 0 | 1;
}

export interface LeakyFeature {
  feature: string;
  label: string;
  /** separates: the column alone ranks the validation rows almost perfectly; pure-value: one value (or being filled in at all) marks one outcome. */
  reason: 'separates' | 'pure-value' | 'holdout-too-good';
  /** AUC of the column alone on the validation rows (direction-free), or the candidate's holdout AUC. */
  auc: number;
  /** What a person reads, e.g. "Amount: 0 on 100 % of LOST rows and 0.0 % of WON rows". */
  detail: string;
}

/** A column alone at or above this validation AUC is a leak; a candidate at or above it on the holdout is suspect. */
export const LEAK_AUC = 0.97;
/**
 * A value held by ≥ 50 % of one outcome's rows (≥ 30 rows) and ≥ 99.5 % of whose rows have that outcome; or a
 * column filled in on ≥ 30 rows of which ≥ 99.5 % have one outcome (whatever share of that outcome it covers).
 */
export const PURE_VALUE = { minShareOfClass: 0.5, minRows: 30, minPurity: 0.995 };

const MISSING_VALUE = '(missing)';

/** Value of a record for the screen: a category, a quantile bin of a number, or "(missing)". */
type Binner = (value: RecordValue) => string;
type RecordValue = RawRecord[string];

function binnerFor(values: RecordValue[]): Binner {
  const { kind } = detectKind(values);
  if (kind === 'categorical') return (v) => canonical(v) ?? MISSING_VALUE;
  const sorted = values.map((v) => parseNumber(v)).filter((n): n is number => n !== null).sort((a, b) => a - b);
  // Up to 20 quantile edges; repeated values (0 on every lost deal) collapse into one bin of their own.
  const edges = [...new Set(Array.from({ length: 19 }, (_, i) => sorted[Math.floor(((i + 1) * sorted.length) / 20)]))].filter((e) => e !== undefined);
  return (v) => {
    const n = parseNumber(v);
    if (n === null) return MISSING_VALUE;
    if (sorted.length && n === sorted[0]) return `=${sorted[0]}`; // the smallest value on its own (zeros, defaults)
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid] <= n) lo = mid + 1;
      else hi = mid;
    }
    return `bin${lo}`;
  };
}

function shown(bin: string, values: RecordValue[], binner: Binner): string {
  if (bin === MISSING_VALUE || !bin.startsWith('bin')) return bin.startsWith('=') ? bin.slice(1) : bin;
  const inBin = values.map((v) => parseNumber(v)).filter((n, i) => n !== null && binner(values[i]) === bin) as number[];
  return inBin.length ? `${Math.min(...inBin)}..${Math.max(...inBin)}` : bin;
}

/**
 * Columns among `keys` that alone separate the outcomes. `train` fits the one-column scores, `validation`
 * judges them; `classNames` name the outcomes in the details (e.g. ['LOST', 'WON']).
 */
export function screenLeaks(
  train: Labelled[],
  validation: Labelled[],
  keys: string[],
  labels: Record<string, string>,
  classNames: [string, string] = ['negative', 'positive'],
): LeakyFeature[] {
  const found: LeakyFeature[] = [];
  const trainY = train.map((e) => e.label);
  const valY = validation.map((e) => e.label);
  const classCount = [trainY.length - trainY.reduce<number>((s, y) => s + y, 0), trainY.reduce<number>((s, y) => s + y, 0)];
  const overall = classCount[1] / Math.max(1, trainY.length);
  if (classCount[0] === 0 || classCount[1] === 0) return found;
  for (const key of keys) {
    const label = labels[key] ?? key;
    const trainValues = train.map((e) => e.record[key]);
    const binner = binnerFor(trainValues);
    const stats = new Map<string, [number, number]>();
    trainValues.forEach((v, i) => {
      const bin = binner(v);
      const s = stats.get(bin) ?? [0, 0];
      s[trainY[i]]++;
      stats.set(bin, s);
    });
    if (stats.size < 2) continue;
    const rate = (bin: string) => {
      const s = stats.get(bin);
      return s ? (s[1] + overall) / (s[0] + s[1] + 1) : overall;
    };
    const scores = validation.map((e) => rate(binner(e.record[key])));
    const auc = rocAuc(scores, valY);
    const separation = Number.isFinite(auc) ? Math.max(auc, 1 - auc) : NaN;
    // A value that marks one outcome: most rows of that outcome hold it and (almost) no row of the other does.
    let pure: string | null = null;
    for (const [bin, s] of stats) {
      for (const c of [0, 1] as const) {
        const n = s[0] + s[1];
        if (n >= PURE_VALUE.minRows && s[c] / classCount[c] >= PURE_VALUE.minShareOfClass && s[c] / n >= PURE_VALUE.minPurity) {
          const value = shown(bin, trainValues, binner);
          pure = `${label} = ${value} on ${pct(s[c] / classCount[c])} of ${classNames[c]} rows and ${pct(s[1 - c] / classCount[1 - c])} of ${classNames[1 - c]} rows`;
        }
      }
    }
    // A column filled in (almost) only for one outcome, however rarely: e.g. closed-deal details joined onto leads.
    let presence: string | null = null;
    const missing = stats.get(MISSING_VALUE) ?? [0, 0];
    const present = [classCount[0] - missing[0], classCount[1] - missing[1]];
    for (const c of [0, 1] as const) {
      const n = present[0] + present[1];
      if (missing[0] + missing[1] > 0 && n >= PURE_VALUE.minRows && present[c] / n >= PURE_VALUE.minPurity) {
        presence = `${label} is filled in on ${n} rows, ${pct(present[c] / n)} of them ${classNames[c]} (on ${pct(present[c] / classCount[c])} of ${classNames[c]} rows and ${pct(present[1 - c] / classCount[1 - c])} of ${classNames[1 - c]} rows)`;
      }
    }
    pure ??= presence;
    if (separation >= LEAK_AUC) {
      found.push({ feature: key, label, reason: 'separates', auc: separation, detail: `${label} alone ranks the validation rows with AUC ${separation.toFixed(3)}${pure ? ` (${pure})` : ''}` });
    } else if (pure) {
      found.push({ feature: key, label, reason: 'pure-value', auc: separation, detail: pure });
    }
  }
  return found;
}

const pct = (x: number) => `${Number((100 * x).toFixed(1))} %`;
