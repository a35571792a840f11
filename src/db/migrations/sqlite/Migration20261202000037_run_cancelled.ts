import { Migration } from '@mikro-orm/migrations';

/** Scheduled runs may end CANCELLED: the server's own shutdown cut them off, and the next check runs the slot again. */
export class Migration20261202000037_run_cancelled extends Migration {
  override async up(): Promise<void> {
    this.addSql(`pragma foreign_keys = off;`);
    this.addSql(`create table \`scheduled_runs__temp_alter\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`job\` text not null, \`slot\` text not null, \`instance\` text not null, \`status\` text check (\`status\` in ('RUNNING', 'DONE', 'FAILED', 'CANCELLED')) not null, \`started_at\` datetime not null, \`finished_at\` datetime null, \`message\` text null);`);
    this.addSql(`insert into \`scheduled_runs__temp_alter\` select \`id\`, \`created_at\`, \`updated_at\`, \`job\`, \`slot\`, \`instance\`, \`status\`, \`started_at\`, \`finished_at\`, \`message\` from \`scheduled_runs\`;`);
    this.addSql(`drop table \`scheduled_runs\`;`);
    this.addSql(`alter table \`scheduled_runs__temp_alter\` rename to \`scheduled_runs\`;`);
    this.addSql(`create unique index \`scheduled_runs_job_slot_unique\` on \`scheduled_runs\` (\`job\`, \`slot\`);`);
    this.addSql(`pragma foreign_keys = on;`);
  }
}
