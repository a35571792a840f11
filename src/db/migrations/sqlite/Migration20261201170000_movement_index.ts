import { Migration } from '@mikro-orm/migrations';

/**
 * Pipeline movement: the deals expected to close in a period, read from the index alone (close date first, then
 * every column the movement classification reads), instead of scanning every deal for the close-date range.
 */
export class Migration20261201170000_movement_index extends Migration {
  override async up(): Promise<void> {
    this.addSql('create index `deals_movement_index` on `deals` (`expected_close_date`, `status`, `closed_at`, `opened_at`, `created_at`, `amount_cents`, `owner_id`);');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists `deals_movement_index`;');
  }
}
