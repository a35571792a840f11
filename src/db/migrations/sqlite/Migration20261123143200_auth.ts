import { Migration } from '@mikro-orm/migrations';

export class Migration20261123143200_auth extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`api_keys\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`name\` text not null, \`role\` text check (\`role\` in ('SDR', 'AE', 'MANAGER', 'EXEC', 'ADMIN')) not null, \`rep_id\` integer null, \`secret_hash\` text not null, \`revoked_at\` datetime null, constraint \`api_keys_rep_id_foreign\` foreign key(\`rep_id\`) references \`reps\`(\`id\`) on delete cascade on update cascade);`);
    this.addSql(`create index \`api_keys_rep_id_index\` on \`api_keys\` (\`rep_id\`);`);

  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`api_keys\`;`);
  }

}
