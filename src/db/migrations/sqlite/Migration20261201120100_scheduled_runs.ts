import { Migration } from '@mikro-orm/migrations';

/** Scheduled jobs (forecast snapshots): one row per job and time slot, the claim that lets one server of several run it. */
export class Migration20261201120100_scheduled_runs extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table \`scheduled_runs\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`job\` text not null, \`slot\` text not null, \`instance\` text not null, \`status\` text check (\`status\` in ('RUNNING', 'DONE', 'FAILED')) not null, \`started_at\` datetime not null, \`finished_at\` datetime null, \`message\` text null);`);
    this.addSql(`create unique index \`scheduled_runs_job_slot_unique\` on \`scheduled_runs\` (\`job\`, \`slot\`);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists `scheduled_runs`;');
  }
}
