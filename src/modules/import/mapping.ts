/**
 * The mapping file: which CSV holds which entity and which column holds which field. Validated once, before
 * any file is read, so a typo in the mapping fails fast with the JSON path at fault. Pure.
 */
import { RepRole } from '../../shared/enums';
import { BadInputError } from '../../shared/errors';
import { dateOrderOf, normKey, numberStyle, type DateOrder, type FlagWords, type NumberStyle } from './values';

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
      'currency', 'source', 'expectedCloseDate', 'engagedAt', 'lead', 'leadOwner', 'stageAtLoss'],
    required: ['stage'],
  },
  activities: { fields: ['externalId', 'type', 'rep', 'deal', 'lead', 'at', 'outcome', 'notes'], required: ['type', 'at'] },
};

/** Fields read as dates, per section (deals also read their `stageDates` columns as dates). */
export const DATE_FIELDS: Record<SectionName, readonly string[]> = {
  reps: ['hiredAt'], accounts: [], products: [],
  leads: ['createdAt', 'mqlAt', 'sqlAt', 'firstContactedAt', 'closedAt'],
  deals: ['createdAt', 'closedAt', 'expectedCloseDate', 'engagedAt'],
  activities: ['at'],
};

/** Fields read as yes/no flags. */
export const FLAG_FIELDS: Record<SectionName, readonly string[]> = { reps: ['active'], accounts: [], products: [], leads: ['converted'], deals: [], activities: [] };

/** Reference fields that name a rep: with `createReps`, an unknown value creates that rep (exports that know reps only by id). */
export const REP_FIELDS: Record<SectionName, readonly string[]> = { reps: [], accounts: [], products: [], leads: ['owner'], deals: ['owner', 'leadOwner'], activities: ['rep'] };

/** Pseudo-field under which a deals `stageDates` column is read: `stageDate:<stage as the mapping names it>`. */
export const stageDateField = (stage: string) => `stageDate:${stage}`;

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
  /** Separators of numbers (mapping `locale`, e.g. "de-DE"); guessed per value when absent. */
  numberStyle?: NumberStyle;
  locale?: string;
  /** Per flag field: the export's own yes/no words and what a blank cell means. */
  flags: Record<string, FlagWords>;
  /** Deals: stage (pipeline name or CSV stage value) -> CSV header of the date the deal entered it. */
  stageDates: Record<string, string>;
  /** Per rep reference field: role of the reps an unknown value creates (external id = the value). */
  createReps: Record<string, RepRole>;
  /** Fields every row has the same value for, which the export leaves out (e.g. stage "Won" in a closed-deals file). */
  constants: Record<string, string>;
}

export type ImportMapping = Partial<Record<SectionName, SectionMapping>>;

const SECTION_KEYS = ['file', 'columns', 'delimiter', 'missing', 'aliases', 'stages', 'attributes', 'dateFormat', 'locale', 'flags', 'stageDates', 'createReps', 'constants'];
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
  const order = typeof value === 'string' ? dateOrderOf(value) : undefined;
  if (!order) throw new BadInputError(field, `${field} must be "DMY" (e.g. DD/MM/YYYY), "MDY" (MM/DD/YYYY) or "YMD" (YYYY/MM/DD)`);
  return order;
}

function locale(value: unknown, field: string): { locale: string; style: NumberStyle } | undefined {
  if (value === undefined) return undefined;
  const style = typeof value === 'string' ? numberStyle(value) : undefined;
  if (!style) throw new BadInputError(field, `${field} must be a locale such as "en-US", "de-DE" or "pt-BR" (it sets the number separators)`);
  return { locale: value as string, style };
}

function flagWords(value: unknown, at: string, name: SectionName, columns: Record<string, string>): Record<string, FlagWords> {
  if (value === undefined) return {};
  if (!isObject(value)) throw new BadInputError(at, `${at} must be an object: field -> { "true": [...], "false": [...], "blank": false }`);
  const out: Record<string, FlagWords> = {};
  for (const [field, spec] of Object.entries(value)) {
    const path = `${at}.${field}`;
    if (!FLAG_FIELDS[name].includes(field)) throw new BadInputError(path, `"${field}" is not a yes/no field of ${name} (${FLAG_FIELDS[name].join(', ') || 'none'})`);
    if (!columns[field]) throw new BadInputError(path, `${path}: "${field}" is not a mapped column`);
    if (!isObject(spec)) throw new BadInputError(path, `${path} must be an object with "true" and/or "false" lists`);
    for (const key of Object.keys(spec)) if (!['true', 'false', 'blank'].includes(key)) throw new BadInputError(`${path}.${key}`, `Unknown key "${key}" in ${path}: expected true, false, blank`);
    if (spec.blank !== undefined && spec.blank !== null && typeof spec.blank !== 'boolean') throw new BadInputError(`${path}.blank`, `${path}.blank must be true, false or null`);
    const words = (key: 'true' | 'false') => new Set(stringList(spec[key], `${path}.${key}`).map(normKey));
    out[field] = { true: words('true'), false: words('false'), blank: (spec.blank as boolean | null | undefined) ?? null };
    const both = [...out[field].true].filter((w) => out[field].false.has(w));
    if (both.length) throw new BadInputError(path, `${path}: "${both[0]}" is listed as both true and false`);
  }
  return out;
}

function createReps(value: unknown, at: string, name: SectionName, columns: Record<string, string>): Record<string, RepRole> {
  const table = stringMap(value, at);
  for (const [field, role] of Object.entries(table)) {
    if (!REP_FIELDS[name].includes(field)) throw new BadInputError(`${at}.${field}`, `"${field}" is not a rep reference of ${name} (${REP_FIELDS[name].join(', ') || 'none'})`);
    if (!columns[field]) throw new BadInputError(`${at}.${field}`, `${at}.${field}: "${field}" is not a mapped column`);
    if (!(Object.values(RepRole) as string[]).includes(role.toUpperCase())) throw new BadInputError(`${at}.${field}`, `${at}.${field} must be a role: ${Object.values(RepRole).join(', ')}`);
    table[field] = role.toUpperCase();
  }
  return table as Record<string, RepRole>;
}

/** Checks the mapping's shape; field paths in errors read like `mapping.deals.columns.stage`. */
export function parseMapping(input: unknown): ImportMapping {
  if (!isObject(input)) throw new BadInputError('mapping', 'The mapping must be a JSON object with sections such as "deals"');
  const globalDateFormat = dateOrder(input.dateFormat, 'mapping.dateFormat');
  const globalLocale = locale(input.locale, 'mapping.locale');
  const mapping: ImportMapping = {};
  for (const key of Object.keys(input)) {
    if (key === 'dateFormat' || key === 'locale' || key === 'description' || key.startsWith('$')) continue;
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
    const constants = stringMap(raw.constants, `${at}.constants`);
    for (const field of Object.keys(constants)) {
      if (!fields.includes(field)) throw new BadInputError(`${at}.constants.${field}`, `"${field}" is not a ${name} field: expected ${fields.join(', ')}`);
      if (columns[field]) throw new BadInputError(`${at}.constants.${field}`, `"${field}" is both a column and a constant: keep one`);
    }
    for (const field of required) {
      if (!columns[field] && !constants[field]) throw new BadInputError(`${at}.columns.${field}`, `${at}.columns must map "${field}" (or set it in ${at}.constants)`);
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
    if (raw.stageDates !== undefined && name !== 'deals') throw new BadInputError(`${at}.stageDates`, 'Only the deals section has stageDates');
    if (columns.leadOwner && !columns.lead) throw new BadInputError(`${at}.columns.leadOwner`, `${at}.columns.leadOwner needs "lead" mapped too (the lead whose owner it is)`);
    const sectionLocale = locale(raw.locale, `${at}.locale`) ?? globalLocale;
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
      locale: sectionLocale?.locale,
      numberStyle: sectionLocale?.style,
      flags: flagWords(raw.flags, `${at}.flags`, name, columns),
      stageDates: stringMap(raw.stageDates, `${at}.stageDates`),
      createReps: createReps(raw.createReps, `${at}.createReps`, name, columns),
      constants,
    };
  }
  if (!Object.keys(mapping).length) throw new BadInputError('mapping', `The mapping has no section: add one of ${SECTIONS.join(', ')}`);
  return mapping;
}
