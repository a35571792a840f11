import { Migration } from '@mikro-orm/migrations';

export class Migration20261123143148_import extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`import_runs\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`status\` text not null, \`mapping\` json not null, \`counts\` json not null, \`attribute_types\` json not null, \`rejected_rows\` integer not null, \`duration_ms\` integer not null, \`report\` json not null);`);
    this.addSql(`create index \`import_runs_created_at_index\` on \`import_runs\` (\`created_at\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`import_runs\`;`);
  }

}
