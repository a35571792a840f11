/**
 * What a model is trained on, read from the database: closed examples with their labels (converted vs
 * disqualified leads, won vs lost deals), open deals' ages for the staleness guard, and the settings of the
 * kind (feature keys, labels, baseline column).
 */
import { dateValue, dialectOf, knexOf, readEpochMs } from '../../db/dialect';
import type { Em } from '../../db/orm';
import { DAY_MS, FORCE_CATEGORICAL, OPEN_LEAD_STATUSES, labelsFor, loadDealRows, loadLeadRows, loadStages } from './dataset';
import { KINDS } from './model-kinds';
import type { ModelKind } from './scoring.entity';
import type { Example } from './trainer';

/** Closed examples with labels, the newest `maxExamples` at most (default 200,000). */
export function loadExamples(em: Em, kind: ModelKind, maxExamples = 200_000): Promise<Example[]> {
  return EXAMPLES[kind](em, maxExamples);
}

/** Days each open record has been open, where the kind's staleness guard needs them (deals). */
export async function openAgesDays(em: Em, kind: ModelKind): Promise<number[] | undefined> {
  return OPEN_AGES[kind]?.(em);
}

export function trainSettings(kind: ModelKind, examples: Example[]) {
  const d = KINDS[kind];
  const keys = d.featureKeys(examples);
  return { kind, keys, labels: labelsFor(keys, d.labels), forceCategorical: FORCE_CATEGORICAL, baselineKey: d.baselineKey } as const;
}

const EXAMPLES: Record<ModelKind, (em: Em, maxExamples: number) => Promise<Example[]>> = { LEAD: leadExamples, DEAL: dealExamples };
const OPEN_AGES: Record<ModelKind, ((em: Em) => Promise<number[]>) | null> = { LEAD: null, DEAL: openDealAges };

async function leadExamples(em: Em, maxExamples: number): Promise<Example[]> {
  const examples: Example[] = [];
  const conversions: Array<{ at: number; closedAt: number }> = [];
  for (let afterId = 0; examples.length < maxExamples; ) {
    const rows = await loadLeadRows(em, { statuses: ['CONVERTED', 'DISQUALIFIED'] }, afterId, Math.min(10_000, maxExamples - examples.length), true);
    if (rows.length === 0) break;
    // Ordered by arrival, the moment a lead is first scored (closing dates would order converted leads after
    // the others when an export dates only conversions).
    for (const r of rows) examples.push({ id: r.id, record: r.record, label: r.status === 'CONVERTED' ? 1 : 0, at: r.arrivedAt });
    for (const r of rows) if (r.status === 'CONVERTED' && r.closedAt != null) conversions.push({ at: r.arrivedAt, closedAt: r.closedAt });
    afterId = rows.at(-1)!.id;
  }
  const aged = await agedOutLeads(em, conversions, examples, maxExamples - examples.length);
  // Leads that arrived after the cut-off are left out whatever their status: their converted ones are known
  // and their unconverted ones are not yet, so keeping them would inflate the newest conversion rate.
  return aged.examples.length ? [...examples.filter((e) => e.at! < aged.cutoff), ...aged.examples] : examples;
}

async function dealExamples(em: Em, maxExamples: number): Promise<Example[]> {
  const examples: Example[] = [];
  const stages = await loadStages(em);
  for (let afterId = 0; examples.length < maxExamples; ) {
    const rows = await loadDealRows(em, { statuses: ['WON', 'LOST'] }, stages, Date.now(), afterId, Math.min(5_000, maxExamples - examples.length), true);
    if (rows.length === 0) break;
    for (const r of rows) {
      const lifeDays = r.closedAt == null ? undefined : Math.round((r.closedAt - r.openedAt) / DAY_MS);
      for (const record of r.snapshots ?? [r.record]) examples.push({ id: r.id, record, label: r.status === 'WON' ? 1 : 0, at: r.closedAt, lifeDays });
    }
    afterId = rows.at(-1)!.id;
  }
  return examples;
}

/**
 * Open leads far older than conversions take count as not converted: exports often close only the converted
 * leads (the Olist funnel lists its 842 signed sellers; the other 7,158 leads stay open for ever). "Far older":
 * past the 95th percentile of the days converted leads took, measured to the end of the data (its newest
 * date, not today: an export may be years old). Needs 30 conversions to say how long conversions take.
 */
async function agedOutLeads(em: Em, conversions: Array<{ at: number; closedAt: number }>, closed: Example[], limit: number): Promise<{ examples: Example[]; cutoff: number }> {
  if (conversions.length < 30 || limit <= 0) return { examples: [], cutoff: Infinity };
  const days = conversions.map((c) => Math.max(0, (c.closedAt - c.at) / DAY_MS)).sort((a, b) => a - b);
  const afterDays = Math.max(30, Math.ceil(days[Math.min(days.length - 1, Math.floor(days.length * 0.95))]));
  const knex = knexOf(em);
  const [{ newest }] = await knex('leads').max({ newest: 'closed_at' });
  const end = Math.max(readEpochMs(newest) ?? 0, ...closed.map((e) => e.at ?? 0));
  const cutoff = end - afterDays * DAY_MS;
  const value = dateValue(dialectOf(em), cutoff);
  const ids: Array<{ id: unknown }> = await knex('leads')
    .whereIn('status', OPEN_LEAD_STATUSES)
    .where((b) => b.where('created_at', '<', value).orWhere('first_contacted_at', '<', value).orWhere('mql_at', '<', value))
    .orderBy('id', 'desc')
    .limit(limit)
    .select('id');
  const out: Example[] = [];
  for (let i = 0; i < ids.length; i += 5000) {
    const rows = await loadLeadRows(em, { ids: ids.slice(i, i + 5000).map((r) => Number(r.id)) }, 0, 5000);
    for (const r of rows) if (r.arrivedAt < cutoff) out.push({ id: r.id, record: r.record, label: 0, at: r.arrivedAt, agedOutAfterDays: afterDays });
  }
  return { examples: out, cutoff };
}

/** Days each open deal has been open (for the staleness guard). */
async function openDealAges(em: Em): Promise<number[]> {
  const rows: Array<{ opened_at: unknown; created_at: unknown }> = await knexOf(em)('deals').where('status', 'OPEN').select('opened_at', 'created_at');
  const now = Date.now();
  return rows.map((r) => Math.round((now - (readEpochMs(r.opened_at) ?? readEpochMs(r.created_at)!)) / DAY_MS));
}
