import { Migration } from '@mikro-orm/migrations';

/**
 * The answer cache's data versions (src/shared/answer-cache): one counter per table, bumped by every writer, plus
 * this database's random identity (`*database`), which keys answers shared through Redis. And the deals page's
 * index: one status, newest first, read in index order instead of sorting every deal of that status.
 */
export class Migration20261201130000_answer_cache extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table \`data_versions\` (\`table_name\` text not null, \`version\` integer not null, primary key (\`table_name\`));`);
    this.addSql(`insert into \`data_versions\` (\`table_name\`, \`version\`) values ('*database', abs(random() % 2147483647));`);
    this.addSql(`create index \`deals_status_id_index\` on \`deals\` (\`status\`, \`id\`);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists `data_versions`;');
    this.addSql('drop index if exists `deals_status_id_index`;');
  }
}
