import { Migration } from '@mikro-orm/migrations';

export class Migration20261123143856_scoring extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`deal_scores\` (\`deal_id\` integer not null, \`owner_id\` integer null, \`team_id\` integer null, \`probability\` double not null, \`score\` integer not null, \`tier\` text not null, \`factors\` json not null, \`model_version\` text not null, \`method\` text not null, \`scored_at\` datetime not null, \`stage_id\` integer null, \`record_created_at\` datetime not null, primary key (\`deal_id\`));`);
    this.addSql(`create index \`deal_scores_owner\` on \`deal_scores\` (\`owner_id\`, \`probability\`, \`deal_id\`);`);

    this.addSql(`create table \`lead_scores\` (\`lead_id\` integer not null, \`owner_id\` integer null, \`team_id\` integer null, \`probability\` double not null, \`score\` integer not null, \`tier\` text not null, \`factors\` json not null, \`model_version\` text not null, \`method\` text not null, \`scored_at\` datetime not null, \`status\` text not null, \`source\` text null, \`record_created_at\` datetime not null, primary key (\`lead_id\`));`);
    this.addSql(`create index \`lead_scores_queue_all\` on \`lead_scores\` (\`probability\`, \`record_created_at\`, \`lead_id\`);`);
    this.addSql(`create index \`lead_scores_queue_team\` on \`lead_scores\` (\`team_id\`, \`probability\`, \`record_created_at\`, \`lead_id\`);`);
    this.addSql(`create index \`lead_scores_queue_owner\` on \`lead_scores\` (\`owner_id\`, \`probability\`, \`record_created_at\`, \`lead_id\`);`);

    this.addSql(`create table \`model_versions\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`kind\` text check (\`kind\` in ('LEAD', 'DEAL')) not null, \`version\` text not null, \`status\` text check (\`status\` in ('TRAINING', 'READY', 'FAILED')) not null default 'TRAINING', \`active\` integer not null default false, \`path\` text null, \`algorithm\` text null, \`progress\` double not null default 0, \`message\` text null, \`report\` json null, \`data_from\` datetime null, \`data_to\` datetime null, \`trained_at\` datetime null);`);
    this.addSql(`create unique index \`model_versions_version_unique\` on \`model_versions\` (\`version\`);`);
    this.addSql(`create index \`model_versions_kind_active_index\` on \`model_versions\` (\`kind\`, \`active\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`deal_scores\`;`);
    this.addSql(`drop table if exists \`lead_scores\`;`);
    this.addSql(`drop table if exists \`model_versions\`;`);
  }
}
