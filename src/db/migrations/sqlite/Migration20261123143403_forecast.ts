import { Migration } from '@mikro-orm/migrations';

export class Migration20261123143403_forecast extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`forecast_snapshots\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`period_label\` text not null, \`period_start\` datetime not null, \`period_end\` datetime not null, \`as_of\` datetime not null, \`group_by\` text check (\`group_by\` in ('COMPANY', 'TEAM', 'REP', 'PRODUCT')) not null, \`group_key\` integer null, \`expected_cents\` bigint not null, \`p10_cents\` bigint not null, \`p50_cents\` bigint not null, \`p90_cents\` bigint not null, \`pipeline_cents\` bigint not null, \`new_business_cents\` bigint not null, \`closed_won_cents\` bigint not null, \`open_deals\` integer not null, \`simulations\` integer not null);`);
    this.addSql(`create index \`forecast_snapshots_period_start_group_by_index\` on \`forecast_snapshots\` (\`period_start\`, \`group_by\`);`);

    this.addSql(`create table \`forecast_adjustments\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`period_label\` text not null, \`period_start\` datetime not null, \`period_end\` datetime not null, \`scope\` text check (\`scope\` in ('COMPANY', 'TEAM', 'REP')) not null, \`team_id\` integer null, \`rep_id\` integer null, \`deal_id\` integer null, \`amount_cents\` bigint null, \`category\` text check (\`category\` in ('COMMIT', 'BEST_CASE', 'PIPELINE', 'OMITTED')) null, \`previous_category\` text check (\`previous_category\` in ('COMMIT', 'BEST_CASE', 'PIPELINE', 'OMITTED')) null, \`note\` text not null, \`author_id\` integer not null, constraint \`forecast_adjustments_team_id_foreign\` foreign key(\`team_id\`) references \`teams\`(\`id\`) on delete cascade on update cascade, constraint \`forecast_adjustments_rep_id_foreign\` foreign key(\`rep_id\`) references \`reps\`(\`id\`) on delete cascade on update cascade, constraint \`forecast_adjustments_deal_id_foreign\` foreign key(\`deal_id\`) references \`deals\`(\`id\`) on delete cascade on update cascade, constraint \`forecast_adjustments_author_id_foreign\` foreign key(\`author_id\`) references \`reps\`(\`id\`) on delete cascade on update cascade);`);
    this.addSql(`create index \`forecast_adjustments_team_id_index\` on \`forecast_adjustments\` (\`team_id\`);`);
    this.addSql(`create index \`forecast_adjustments_rep_id_index\` on \`forecast_adjustments\` (\`rep_id\`);`);
    this.addSql(`create index \`forecast_adjustments_deal_id_index\` on \`forecast_adjustments\` (\`deal_id\`);`);
    this.addSql(`create index \`forecast_adjustments_author_id_index\` on \`forecast_adjustments\` (\`author_id\`);`);
    this.addSql(`create index \`forecast_adjustments_period_start_scope_index\` on \`forecast_adjustments\` (\`period_start\`, \`scope\`);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists \`forecast_adjustments\`;`);
    this.addSql(`drop table if exists \`forecast_snapshots\`;`);
  }
}
