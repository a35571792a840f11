import { Migration } from '@mikro-orm/migrations';

/** Deal.stageHistoryKnown: false for closed deals imported without the stages they reached. */
export class Migration20261201100000_stage_history_known extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "deals" add column "stage_history_known" boolean not null default true;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table "deals" drop column "stage_history_known";');
  }
}
