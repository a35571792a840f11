import { Migration } from '@mikro-orm/migrations';

/**
 * Forecast facts: the amount, close-date, owner and category changes of a range of deals, in (deal, time, id) order,
 * read from this small partial index alone (at 1M deals 4M changes, 5 % of them these fields) instead of every change
 * of the range through the deal and field indexes and the table, then a sort (1M deals: 0.97 -> 0.24 s CPU for the whole
 * load). The same statement on both dialects, so the entity can declare it (@Index with this expression).
 */
export class Migration20261201181000_forecast_revisions_index extends Migration {
  override async up(): Promise<void> {
    this.addSql("create index deal_changes_revisions_index on deal_changes (deal_id, at, id, field, old_value) where field in ('AMOUNT', 'EXPECTED_CLOSE_DATE', 'OWNER', 'FORECAST_CATEGORY');");
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists deal_changes_revisions_index;');
  }
}
