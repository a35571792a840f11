import { Migration } from '@mikro-orm/migrations';

/** Deal field history: every change of a deal's amount, expected close date, stage, owner, status, forecast category. */
export class Migration20261201120000_deal_changes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table \`deal_changes\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`deal_id\` integer not null, \`field\` text check (\`field\` in ('AMOUNT', 'EXPECTED_CLOSE_DATE', 'STAGE', 'OWNER', 'STATUS', 'FORECAST_CATEGORY')) not null, \`old_value\` text null, \`new_value\` text null, \`at\` datetime not null, \`by_id\` integer null, \`source\` text check (\`source\` in ('API', 'IMPORT', 'SEED')) not null, constraint \`deal_changes_deal_id_foreign\` foreign key(\`deal_id\`) references \`deals\`(\`id\`) on delete cascade on update cascade, constraint \`deal_changes_by_id_foreign\` foreign key(\`by_id\`) references \`reps\`(\`id\`) on delete set null on update cascade);`);
    this.addSql(`create index \`deal_changes_deal_id_index\` on \`deal_changes\` (\`deal_id\`);`);
    this.addSql(`create index \`deal_changes_by_id_index\` on \`deal_changes\` (\`by_id\`);`);
    this.addSql(`create index \`deal_changes_field_at_index\` on \`deal_changes\` (\`field\`, \`at\`);`);
    this.addSql(`create index \`deal_changes_deal_id_at_index\` on \`deal_changes\` (\`deal_id\`, \`at\`);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists `deal_changes`;');
  }
}
