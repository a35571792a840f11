import { Migration } from '@mikro-orm/migrations';

/**
 * A team's or a rep's targets, as every dashboard reads them: the (kpi_key, period_start) index alone made a team's
 * lookup read every rep's targets of those KPIs (at 4M deals 91k rows for 3, 50-130 ms per dashboard).
 */
export class Migration20261201190001_target_lookup_indexes extends Migration {
  override async up(): Promise<void> {
    this.addSql('create index "targets_team_lookup_index" on "targets" ("scope", "team_id", "kpi_key", "period_start");');
    this.addSql('create index "targets_rep_lookup_index" on "targets" ("scope", "rep_id", "kpi_key", "period_start");');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists "targets_team_lookup_index";');
    this.addSql('drop index if exists "targets_rep_lookup_index";');
  }
}
