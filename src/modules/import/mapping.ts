/**
 * The mapping file: which CSV holds which entity and which column holds which field. Validated once, before
 * any file is read, so a typo in the mapping fails fast with the JSON path at fault. Pure.
 */
import { BadInputError } from '../../shared/errors';
import type { DateOrder } from './values';

export const SECTIONS = ['reps', 'accounts', 'products', 'leads', 'deals', 'activities'] as const;
export type SectionName = (typeof SECTIONS)[number];

/** Pipewise fields each section can map, and those a row cannot do without. */
export const SECTION_FIELDS: Record<SectionName, { fields: readonly string[]; required: readonly string[] }> = {
  reps: { fields: ['name', 'email', 'team', 'manager', 'region', 'role', 'hiredAt', 'externalId', 'active'], required: ['name'] },
  accounts: { fields: ['name', 'sector', 'employees', 'annualRevenue', 'country', 'parent', 'segment', 'externalId'], required: ['name'] },
  products: { fields: ['name', 'family', 'listPrice', 'unitCost', 'externalId'], required: ['name'] },
  leads: {
    fields: ['externalId', 'name', 'email', 'phone', 'title', 'company', 'account', 'source', 'owner', 'status', 'converted',
      'createdAt', 'mqlAt', 'sqlAt', 'firstContactedAt', 'closedAt', 'disqualificationReason'],
    required: [],
  },
  deals: {
    fields: ['externalId', 'name', 'owner', 'account', 'product', 'stage', 'createdAt', 'closedAt', 'amount', 'lossReason',
      'currency', 'source', 'expectedCloseDate', 'engagedAt'],
    required: ['stage'],
  },
  activities: { fields: ['externalId', 'type', 'rep', 'deal', 'lead', 'at', 'outcome', 'notes'], required: ['type', 'at'] },
};

export interface SectionMapping {
  file: string;
  /** Pipewise field -> CSV header. */
  columns: Record<string, string>;
  delimiter?: string;
  /** Values meaning "no value" (compared trimmed, case-insensitively); the empty string always is. */
  missing: string[];
  /** Per field: CSV value -> value to use instead (before references and enums are resolved). */
  aliases: Record<string, Record<string, string>>;
  /** Deals: CSV stage value -> pipeline stage name. */
  stages: Record<string, string>;
  /** Leads: CSV headers copied into Lead.attributes. */
  attributes: string[];
  dateFormat?: DateOrder;
}

export type ImportMapping = Partial<Record<SectionName, SectionMapping>>;

const SECTION_KEYS = ['file', 'columns', 'delimiter', 'missing', 'aliases', 'stages', 'attributes', 'dateFormat'];
const DELIMITERS = [',', ';', '\t', '|'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isObject(value)) throw new BadInputError(field, `${field} must be an object of strings`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string' || !v.trim()) throw new BadInputError(`${field}.${k}`, `${field}.${k} must be a non-empty string`);
  }
  return value as Record<string, string>;
}

function stringList(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new BadInputError(field, `${field} must be a list of strings`);
  return value as string[];
}

function dateOrder(value: unknown, field: string): DateOrder | undefined {
  if (value === undefined) return undefined;
  if (value === 'DMY' || value === 'DD/MM/YYYY') return 'DMY';
  if (value === 'MDY' || value === 'MM/DD/YYYY') return 'MDY';
  throw new BadInputError(field, `${field} must be "DMY" (DD/MM/YYYY) or "MDY" (MM/DD/YYYY)`);
}

/** Checks the mapping's shape; field paths in errors read like `mapping.deals.columns.stage`. */
export function parseMapping(input: unknown): ImportMapping {
  if (!isObject(input)) throw new BadInputError('mapping', 'The mapping must be a JSON object with sections such as "deals"');
  const globalDateFormat = dateOrder(input.dateFormat, 'mapping.dateFormat');
  const mapping: ImportMapping = {};
  for (const key of Object.keys(input)) {
    if (key === 'dateFormat' || key === 'description' || key.startsWith('$')) continue;
    if (!(SECTIONS as readonly string[]).includes(key)) {
      throw new BadInputError(`mapping.${key}`, `Unknown section "${key}": expected ${SECTIONS.join(', ')}`);
    }
  }
  for (const name of SECTIONS) {
    const raw = input[name];
    if (raw === undefined) continue;
    const at = `mapping.${name}`;
    if (!isObject(raw)) throw new BadInputError(at, `${at} must be an object with "file" and "columns"`);
    for (const key of Object.keys(raw)) {
      if (!SECTION_KEYS.includes(key)) throw new BadInputError(`${at}.${key}`, `Unknown key "${key}" in ${at}: expected ${SECTION_KEYS.join(', ')}`);
    }
    if (typeof raw.file !== 'string' || !raw.file.trim()) throw new BadInputError(`${at}.file`, `${at}.file must name a CSV file`);
    const columns = stringMap(raw.columns, `${at}.columns`);
    const { fields, required } = SECTION_FIELDS[name];
    for (const field of Object.keys(columns)) {
      if (!fields.includes(field)) throw new BadInputError(`${at}.columns.${field}`, `"${field}" is not a ${name} field: expected ${fields.join(', ')}`);
    }
    for (const field of required) {
      if (!columns[field]) throw new BadInputError(`${at}.columns.${field}`, `${at}.columns must map "${field}"`);
    }
    const aliasesRaw = raw.aliases === undefined ? {} : raw.aliases;
    if (!isObject(aliasesRaw)) throw new BadInputError(`${at}.aliases`, `${at}.aliases must be an object: field -> { value: replacement }`);
    const aliases: Record<string, Record<string, string>> = {};
    for (const [field, table] of Object.entries(aliasesRaw)) {
      if (!columns[field]) throw new BadInputError(`${at}.aliases.${field}`, `${at}.aliases.${field}: "${field}" is not a mapped column`);
      aliases[field] = stringMap(table, `${at}.aliases.${field}`);
    }
    if (raw.stages !== undefined && name !== 'deals') throw new BadInputError(`${at}.stages`, 'Only the deals section has stages');
    if (raw.attributes !== undefined && name !== 'leads') throw new BadInputError(`${at}.attributes`, 'Only the leads section has attributes');
    let delimiter: string | undefined;
    if (raw.delimiter !== undefined) {
      delimiter = raw.delimiter === '\\t' || raw.delimiter === 'tab' ? '\t' : String(raw.delimiter);
      if (!DELIMITERS.includes(delimiter)) throw new BadInputError(`${at}.delimiter`, `${at}.delimiter must be one of , ; tab |`);
    }
    mapping[name] = {
      file: raw.file.trim(),
      columns,
      delimiter,
      missing: stringList(raw.missing, `${at}.missing`),
      aliases,
      stages: stringMap(raw.stages, `${at}.stages`),
      attributes: stringList(raw.attributes, `${at}.attributes`),
      dateFormat: dateOrder(raw.dateFormat, `${at}.dateFormat`) ?? globalDateFormat,
    };
  }
  if (!Object.keys(mapping).length) throw new BadInputError('mapping', `The mapping has no section: add one of ${SECTIONS.join(', ')}`);
  return mapping;
}
