import type { TableSpec } from './sink';

/** Columns the seed writes, per table, in the order rows are pushed. */
const stamps = [['id', 'int'], ['created_at', 'date'], ['updated_at', 'date']] as const;

export const TABLES = {
  teams: { name: 'teams', columns: [...stamps, ['name', 'text'], ['region', 'text'], ['manager_id', 'int']] },
  reps: {
    name: 'reps',
    columns: [...stamps, ['name', 'text'], ['email', 'text'], ['role', 'text'], ['team_id', 'int'], ['active', 'bool'], ['hired_at', 'date'], ['external_id', 'text']],
  },
  products: {
    name: 'products',
    columns: [...stamps, ['name', 'text'], ['family', 'text'], ['list_price_cents', 'bigint'], ['unit_cost_cents', 'bigint'], ['external_id', 'text']],
  },
  accounts: {
    name: 'accounts',
    columns: [
      ...stamps, ['name', 'text'], ['sector', 'text'], ['country', 'text'], ['employees', 'int'], ['annual_revenue_cents', 'bigint'],
      ['segment', 'text'], ['parent_id', 'int'], ['external_id', 'text'],
    ],
  },
  leads: {
    name: 'leads',
    columns: [
      ...stamps, ['name', 'text'], ['email', 'text'], ['phone', 'text'], ['title', 'text'], ['company', 'text'], ['account_id', 'int'],
      ['source', 'text'], ['status', 'text'], ['owner_id', 'int'], ['mql_at', 'date'], ['sql_at', 'date'], ['first_contacted_at', 'date'],
      ['closed_at', 'date'], ['disqualification_reason', 'text'], ['budget_cents', 'bigint'], ['has_authority', 'bool'], ['has_need', 'bool'],
      ['timeline_months', 'int'], ['converted_deal_id', 'int'], ['attributes', 'json'], ['version', 'int'],
    ],
  },
  deals: {
    name: 'deals',
    columns: [
      ...stamps, ['name', 'text'], ['account_id', 'int'], ['owner_id', 'int'], ['product_id', 'int'], ['amount_cents', 'bigint'], ['currency', 'text'],
      ['stage_id', 'int'], ['status', 'text'], ['opened_at', 'date'], ['engaged_at', 'date'], ['expected_close_date', 'date'], ['closed_at', 'date'],
      ['stage_entered_at', 'date'], ['loss_reason', 'text'], ['source_lead_id', 'int'], ['source', 'text'], ['forecast_category', 'text'], ['version', 'int'],
    ],
  },
  stageChanges: {
    name: 'deal_stage_changes',
    columns: [...stamps, ['deal_id', 'int'], ['from_stage_id', 'int'], ['to_stage_id', 'int'], ['at', 'date'], ['by_id', 'int'], ['inferred', 'bool']],
  },
  activities: {
    name: 'activities',
    columns: [...stamps, ['type', 'text'], ['rep_id', 'int'], ['lead_id', 'int'], ['deal_id', 'int'], ['at', 'date'], ['outcome', 'text'], ['notes', 'text']],
  },
  orders: {
    name: 'orders',
    columns: [...stamps, ['account_id', 'int'], ['product_id', 'int'], ['deal_id', 'int'], ['amount_cents', 'bigint'], ['cost_cents', 'bigint'], ['ordered_at', 'date']],
  },
  spend: {
    name: 'spend',
    columns: [...stamps, ['period_start', 'date'], ['period_end', 'date'], ['category', 'text'], ['channel', 'text'], ['amount_cents', 'bigint']],
  },
  targets: {
    name: 'targets',
    columns: [
      ...stamps, ['kpi_key', 'text'], ['scope', 'text'], ['team_id', 'int'], ['rep_id', 'int'], ['period_start', 'date'], ['period_end', 'date'],
      ['value', 'float'], ['version', 'int'],
    ],
  },
} satisfies Record<string, TableSpec>;

/** Tables the seed fills, children first (the order `reset` deletes them in). */
export const SEEDED_TABLES = [
  'activities', 'deal_changes', 'deal_stage_changes', 'orders', 'targets', 'spend', 'leads', 'deals', 'accounts', 'products', 'teams', 'reps', 'pipeline_stages',
] as const;

/** Tables with many rows: their secondary indexes are rebuilt after the load. */
export const BULK_TABLES = ['accounts', 'leads', 'deals', 'deal_stage_changes', 'deal_changes', 'activities', 'orders', 'targets'] as const;
