import { Migration } from '@mikro-orm/migrations';

/** KPI engine: covering indexes for the closed-deal and opened-deal facts, company-wide and per owner (team dashboards). */
export class Migration20261123151500_kpi extends Migration {
  override async up(): Promise<void> {
    this.addSql('create index `deals_kpi_closed_index` on `deals` (`status`, `closed_at`, `owner_id`, `amount_cents`, `engaged_at`, `opened_at`);');
    this.addSql('create index `deals_kpi_owner_closed_index` on `deals` (`owner_id`, `status`, `closed_at`, `amount_cents`, `engaged_at`, `opened_at`);');
    this.addSql('create index `deals_kpi_owner_opened_index` on `deals` (`owner_id`, `opened_at`, `amount_cents`);');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists `deals_kpi_closed_index`;');
    this.addSql('drop index if exists `deals_kpi_owner_closed_index`;');
    this.addSql('drop index if exists `deals_kpi_owner_opened_index`;');
  }
}
