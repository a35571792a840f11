/**
 * docs/kpis.md, generated from the catalogue (`kpiDefinitions`, what the API serves): one source, so the
 * reference cannot drift. `pipewise docs --write` writes it, `--check` (and a test) says whether it is current.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../shared/paths';
import { KpiDirection, KpiFamily, KpiUnit, TIME_DIMENSIONS } from './kpi.enums';
import type { KpiDefinition } from './kpi.types';

export const KPI_DOCS_FILE = path.join(PROJECT_ROOT, 'docs', 'kpis.md');

const FAMILY_TITLE: Record<KpiFamily, string> = {
  [KpiFamily.ACTIVITY]: 'Activity: are we doing enough?',
  [KpiFamily.CONVERSION]: 'Conversion: does the work turn into deals?',
  [KpiFamily.VALUE]: 'Value: how much is it worth?',
  [KpiFamily.EFFICIENCY]: 'Efficiency: at what cost?',
};

const UNIT: Record<KpiUnit, string> = {
  [KpiUnit.COUNT]: 'count',
  [KpiUnit.RATIO]: 'ratio (0..1)',
  [KpiUnit.MONEY]: 'money (major units)',
  [KpiUnit.DAYS]: 'days',
  [KpiUnit.HOURS]: 'hours',
  [KpiUnit.MULTIPLE]: 'multiple (×)',
  [KpiUnit.MONEY_PER_DAY]: 'money per day (major units)',
};

const DIRECTION: Record<KpiDirection, string> = {
  [KpiDirection.HIGHER_IS_BETTER]: 'higher is better',
  [KpiDirection.LOWER_IS_BETTER]: 'lower is better',
  [KpiDirection.NEUTRAL]: 'neither (read in context)',
};

/** A health rule as a range: min inclusive, max exclusive (kpi.math `healthOf`). */
function range(rule: KpiDefinition['healthRules'][number], unit: KpiUnit): string {
  const show = (x: number) => (unit === KpiUnit.RATIO ? `${+(x * 100).toFixed(2)} %` : String(x));
  if (rule.min != null && rule.max != null) return `${show(rule.min)} ≤ value < ${show(rule.max)}`;
  if (rule.min != null) return `value ≥ ${show(rule.min)}`;
  if (rule.max != null) return `value < ${show(rule.max)}`;
  return 'any value';
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderKpiDocs(definitions: KpiDefinition[]): string {
  const out: string[] = [
    '# KPI reference',
    '',
    '<!-- Generated from the KPI catalogue (src/modules/kpi/catalogue/) by `npx pipewise docs --write`; do not edit by hand. -->',
    '',
    `The ${definitions.length} KPIs the API computes (\`kpi(key)\`, \`kpis(keys)\`, \`dashboard(role)\`; \`kpiDefinitions\` serves this same`,
    'data). Ratios are 0..1; a ratio with a zero denominator is `null` with a `reason`. Health comes from the first',
    'matching range (lower bound inclusive, upper bound exclusive). Every KPI can also be grouped by time',
    '(DAY, WEEK, MONTH, QUARTER, YEAR) in the period\'s time zone.',
    '',
  ];
  for (const family of Object.values(KpiFamily)) {
    const defs = definitions.filter((d) => d.family === family);
    if (!defs.length) continue;
    out.push(`## ${FAMILY_TITLE[family]}`, '', '| key | KPI | unit | direction | dashboards |', '|---|---|---|---|---|');
    for (const d of defs) out.push(`| [\`${d.key}\`](#${d.key.toLowerCase()}) | ${cell(d.label)} | ${UNIT[d.unit]} | ${DIRECTION[d.direction]} | ${d.dashboards.join(', ') || '-'} |`);
    out.push('');
    for (const d of defs) {
      out.push(`### ${d.key}`, '', `**${d.label}.** ${d.description}`, '', `- Formula: ${d.formula}`, `- Unit: ${UNIT[d.unit]}; ${DIRECTION[d.direction]}${d.additive ? '; sums over time (targets are prorated, pace extrapolated)' : ''}`);
      if (d.benchmark) out.push(`- Benchmark: ${d.benchmark}`);
      if (d.healthRules.length) out.push(`- Health: ${d.healthRules.map((r) => `${r.health} when ${range(r, d.unit)}`).join('; ')}`);
      const dims = d.dimensions.filter((x) => !(TIME_DIMENSIONS as readonly string[]).includes(x));
      out.push(`- Group and filter by: ${dims.join(', ') || 'time only'}`, '');
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** Whether docs/kpis.md holds what `renderKpiDocs` makes now. */
export function kpiDocsCurrent(rendered: string, file = KPI_DOCS_FILE): boolean {
  return fs.existsSync(file) && fs.readFileSync(file, 'utf8') === rendered;
}
