import { Migration } from '@mikro-orm/migrations';

/**
 * The deals list of one status (open deals, won deals) by last update: SQLite read every deal of the status
 * through the (status, id) index and sorted them (at 1M deals 120 ms for the open ones, 257 ms for the won);
 * with this one it walks the newest first, under 1 ms. PostgreSQL already walked deals_updated_at_index backwards
 * and filtered; the index is on both so the schema is one.
 */
export class Migration20261201200001_deal_status_sort_index extends Migration {
  override async up(): Promise<void> {
    this.addSql('create index "deals_status_updated_at_index" on "deals" ("status", "updated_at");');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists "deals_status_updated_at_index";');
  }
}
