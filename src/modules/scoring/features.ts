/**
 * Feature pipeline: detects what each raw column holds (number or category) from the data, learns
 * vocabularies and normalisation statistics on the training rows, and encodes records into a dense matrix.
 * Pure: no database, no TensorFlow. The fitted pipeline is plain JSON stored in the model's metadata.json.
 */

export type RawValue = string | number | boolean | null | undefined;
export type RawRecord = Record<string, RawValue>;

/** Values CRM exports use to mean "nobody filled this in". Compared after trimming and lower-casing. */
export const MISSING_PLACEHOLDERS = new Set([
  '', 'select', '-- select --', '--', '-', 'n/a', 'na', 'nan', 'null', 'none', 'nil', 'unknown', '?', 'not provided', 'not specified', 'undefined',
]);

export const OTHER = '__other__';
export const MISSING = '__missing__';

export interface NumericFeature {
  kind: 'numeric';
  key: string;
  label: string;
  /** log1p for non-negative, right-skewed columns (visits, money, durations). */
  transform: 'none' | 'log1p';
  mean: number;
  std: number;
  /** 0.5th and 99.5th percentiles of the (transformed) training values: inputs are clamped to them, so the
   *  model never extrapolates past what it has seen (a deal open for 3 years is treated like the oldest seen). */
  low?: number;
  high?: number;
  /** Share of training rows without a value; a missing-indicator column is added when > 0. */
  missingRate: number;
  /** True when most values arrived as text ("12", "3.5") and were parsed. */
  parsedFromText: boolean;
}

export interface CategoricalFeature {
  kind: 'categorical';
  key: string;
  label: string;
  /** Canonical keys (trimmed, lower-cased) kept as their own column, most frequent first. */
  categories: string[];
  /** How each kept category is shown to a person: its most frequent original spelling. */
  display: string[];
  /** Categories folded into OTHER because they were rare (count below minCategoryCount). */
  rareFolded: number;
  missingRate: number;
}

export type FeatureSpec = NumericFeature | CategoricalFeature;

export interface DroppedColumn {
  key: string;
  label: string;
  reason: 'constant' | 'all-missing' | 'identifier-like';
}

export interface ColumnInfo {
  /** Index of the raw feature (in `features`) this encoded column belongs to. */
  group: number;
  name: string;
}

export interface FeaturePipeline {
  features: FeatureSpec[];
  dropped: DroppedColumn[];
  columns: ColumnInfo[];
  /** Encoded value of an average training record: the reference point of explanations. */
  baseline: number[];
}

export interface FitOptions {
  /** Readable names per raw key; the key itself otherwise. */
  labels?: Record<string, string>;
  /** Keys that must be categorical even when their values look numeric (ids, codes). */
  forceCategorical?: string[];
  /** Keep at most this many categories per column (the rest are OTHER). */
  maxCategories?: number;
  /** A category needs at least this many training rows to get its own column. */
  minCategoryCount?: number;
}

const NUMBER_TEXT = /^[-+]?(\d+([.,]\d+)?|\d{1,3}(,\d{3})+(\.\d+)?|\.\d+)([eE][-+]?\d+)?%?$/;

/** Canonical text of a categorical value: trimmed, inner spaces collapsed, lower-cased; null when missing. */
export function canonical(value: RawValue): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = value.trim().replace(/\s+/g, ' ').toLowerCase();
  return MISSING_PLACEHOLDERS.has(text) ? null : text;
}

/** A number from a number, a boolean, or text like "12", "3,5", "1,234.5", "40%"; null when missing or not numeric. */
export function parseNumber(value: RawValue): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  const text = value.trim();
  if (MISSING_PLACEHOLDERS.has(text.toLowerCase()) || !NUMBER_TEXT.test(text)) return null;
  let body = text.replace(/%$/, '');
  // "1,234" / "1,234.5": thousands separators; "3,5": decimal comma.
  body = /^\d{1,3}(,\d{3})+(\.\d+)?$/.test(body.replace(/^[-+]/, '')) ? body.replace(/,/g, '') : body.replace(',', '.');
  const n = Number(body);
  return Number.isFinite(n) ? n : null;
}

function isMissing(value: RawValue): boolean {
  return canonical(value) === null;
}

/** Decides numeric vs categorical: numeric when ≥ 95 % of present values are numbers (or numeric text). */
export function detectKind(values: RawValue[]): { kind: 'numeric' | 'categorical'; parsedFromText: boolean } {
  let present = 0;
  let numeric = 0;
  let text = 0;
  for (const v of values) {
    if (isMissing(v)) continue;
    present++;
    if (typeof v === 'number' || typeof v === 'boolean') numeric++;
    else if (parseNumber(v) !== null) {
      numeric++;
      text++;
    }
  }
  if (present === 0) return { kind: 'categorical', parsedFromText: false };
  const isNumeric = numeric / present >= 0.95;
  return { kind: isNumeric ? 'numeric' : 'categorical', parsedFromText: isNumeric && text > numeric / 2 };
}

function skewness(xs: number[], mean: number, std: number): number {
  if (std === 0 || xs.length < 3) return 0;
  let s = 0;
  for (const x of xs) s += ((x - mean) / std) ** 3;
  return s / xs.length;
}

function meanStd(xs: number[]): { mean: number; std: number } {
  if (xs.length === 0) return { mean: 0, std: 1 };
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / xs.length;
  let sq = 0;
  for (const x of xs) sq += (x - mean) ** 2;
  return { mean, std: Math.sqrt(sq / xs.length) };
}

function fitNumeric(key: string, label: string, values: RawValue[], parsedFromText: boolean): NumericFeature | DroppedColumn {
  const xs: number[] = [];
  for (const v of values) {
    const n = parseNumber(v);
    if (n !== null) xs.push(n);
  }
  const missingRate = values.length ? 1 - xs.length / values.length : 1;
  if (xs.length === 0) return { key, label, reason: 'all-missing' };
  const raw = meanStd(xs);
  if (raw.std === 0 && missingRate === 0) return { key, label, reason: 'constant' };
  const nonNegative = xs.every((x) => x >= 0);
  const transform = nonNegative && skewness(xs, raw.mean, raw.std) > 1 ? 'log1p' : 'none';
  const transformed = transform === 'log1p' ? xs.map(Math.log1p) : xs;
  const { mean, std } = transform === 'log1p' ? meanStd(transformed) : raw;
  const sorted = Float64Array.from(transformed).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { kind: 'numeric', key, label, transform, mean, std: std > 0 ? std : 1, low: at(0.005), high: at(0.995), missingRate, parsedFromText };
}

function fitCategorical(key: string, label: string, values: RawValue[], maxCategories: number, minCount: number): CategoricalFeature | DroppedColumn {
  const counts = new Map<string, number>();
  const spellings = new Map<string, Map<string, number>>();
  let present = 0;
  for (const v of values) {
    const c = canonical(v);
    if (c === null) continue;
    present++;
    counts.set(c, (counts.get(c) ?? 0) + 1);
    const shown = String(v).trim().replace(/\s+/g, ' ');
    const forms = spellings.get(c) ?? new Map<string, number>();
    forms.set(shown, (forms.get(shown) ?? 0) + 1);
    spellings.set(c, forms);
  }
  const missingRate = values.length ? 1 - present / values.length : 1;
  if (present === 0) return { key, label, reason: 'all-missing' };
  if (counts.size === 1 && missingRate === 0) return { key, label, reason: 'constant' };
  if (counts.size > 100 && counts.size > present * 0.5) return { key, label, reason: 'identifier-like' };
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const kept = ranked.filter(([, n]) => n >= minCount).slice(0, maxCategories);
  const categories = kept.map(([c]) => c);
  const display = categories.map((c) => [...spellings.get(c)!.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0]);
  return { kind: 'categorical', key, label, categories, display, rareFolded: ranked.length - kept.length, missingRate };
}

function columnsOf(spec: FeatureSpec, group: number): ColumnInfo[] {
  if (spec.kind === 'numeric') {
    const cols = [{ group, name: spec.key }];
    if (spec.missingRate > 0) cols.push({ group, name: `${spec.key}:missing` });
    return cols;
  }
  return [...spec.categories.map((c) => ({ group, name: `${spec.key}=${c}` })), { group, name: `${spec.key}=${OTHER}` }, { group, name: `${spec.key}=${MISSING}` }];
}

/** Learns the pipeline from training records only (the holdout never influences vocabularies or statistics). */
export function fitPipeline(records: RawRecord[], keys: string[], options: FitOptions = {}): FeaturePipeline {
  const maxCategories = options.maxCategories ?? 30;
  const minCount = options.minCategoryCount ?? Math.max(5, Math.ceil(records.length * 0.002));
  const forced = new Set(options.forceCategorical ?? []);
  const features: FeatureSpec[] = [];
  const dropped: DroppedColumn[] = [];
  for (const key of keys) {
    const label = options.labels?.[key] ?? key;
    const values = records.map((r) => r[key]);
    const detected = detectKind(values);
    const spec =
      detected.kind === 'numeric' && !forced.has(key)
        ? fitNumeric(key, label, values, detected.parsedFromText)
        : fitCategorical(key, label, values, maxCategories, minCount);
    if ('reason' in spec) dropped.push(spec);
    else features.push(spec);
  }
  const columns = features.flatMap((f, i) => columnsOf(f, i));
  const pipeline: FeaturePipeline = { features, dropped, columns, baseline: [] };
  const encoded = encode(pipeline, records);
  const width = columns.length;
  const baseline = new Array<number>(width).fill(0);
  for (let r = 0; r < records.length; r++) for (let c = 0; c < width; c++) baseline[c] += encoded[r * width + c];
  pipeline.baseline = baseline.map((s) => (records.length ? s / records.length : 0));
  return pipeline;
}

export const widthOf = (pipeline: FeaturePipeline) => pipeline.columns.length;

/** Encodes records row-major into a Float32Array of records.length × width. Unseen categories go to OTHER. */
export function encode(pipeline: FeaturePipeline, records: RawRecord[]): Float32Array {
  const width = pipeline.columns.length;
  const out = new Float32Array(records.length * width);
  const lookups = pipeline.features.map((f) => (f.kind === 'categorical' ? new Map(f.categories.map((c, i) => [c, i])) : null));
  for (let r = 0; r < records.length; r++) {
    const record = records[r];
    let col = r * width;
    pipeline.features.forEach((f, i) => {
      const value = record[f.key];
      if (f.kind === 'numeric') {
        const n = parseNumber(value);
        if (n !== null) {
          let x = f.transform === 'log1p' ? Math.log1p(Math.max(0, n)) : n;
          if (f.low !== undefined && f.high !== undefined) x = Math.max(f.low, Math.min(f.high, x));
          out[col] = Math.max(-5, Math.min(5, (x - f.mean) / f.std));
        }
        col++;
        if (f.missingRate > 0) out[col++] = n === null ? 1 : 0;
      } else {
        const c = canonical(value);
        const index = c === null ? f.categories.length + 1 : (lookups[i]!.get(c) ?? f.categories.length);
        out[col + index] = 1;
        col += f.categories.length + 2;
      }
    });
  }
  return out;
}

/** What a person reads for a record's value of one feature, e.g. "Referral", "12", "(missing)". */
export function describeValue(spec: FeatureSpec, value: RawValue): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (spec.kind === 'numeric') {
    const n = parseNumber(value);
    if (n === null) return '(missing)';
    return Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/\.?0+$/, '');
  }
  const c = canonical(value);
  if (c === null) return '(missing)';
  const i = spec.categories.indexOf(c);
  return i >= 0 ? spec.display[i] : `${String(value).trim()} (rare)`;
}

/** A short description of each raw column and the choice made for it, for metadata and the model API. */
export function describePipeline(pipeline: FeaturePipeline): Array<{ key: string; label: string; type: string; detail: string }> {
  const used = pipeline.features.map((f) =>
    f.kind === 'numeric'
      ? { key: f.key, label: f.label, type: 'numeric', detail: `${f.transform === 'log1p' ? 'log1p, ' : ''}standardised${f.missingRate > 0 ? `, ${(f.missingRate * 100).toFixed(1)}% missing (indicator)` : ''}${f.parsedFromText ? ', parsed from text' : ''}` }
      : { key: f.key, label: f.label, type: 'categorical', detail: `${f.categories.length} categories + other/missing${f.rareFolded ? `, ${f.rareFolded} rare folded into other` : ''}` },
  );
  const dropped = pipeline.dropped.map((d) => ({ key: d.key, label: d.label, type: 'dropped', detail: d.reason }));
  return [...used, ...dropped];
}
