import { Migration } from '@mikro-orm/migrations';

export class Migration20261123142137_initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`accounts\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`name\` text not null, \`sector\` text null, \`country\` text null, \`employees\` integer null, \`annual_revenue_cents\` bigint null, \`segment\` text check (\`segment\` in ('A', 'B', 'C')) null, \`parent_id\` integer null, \`external_id\` text null, constraint \`accounts_parent_id_foreign\` foreign key(\`parent_id\`) references \`accounts\`(\`id\`) on delete set null on update cascade);`);
    this.addSql(`create index \`accounts_name_index\` on \`accounts\` (\`name\`);`);
    this.addSql(`create index \`accounts_sector_index\` on \`accounts\` (\`sector\`);`);
    this.addSql(`create index \`accounts_segment_index\` on \`accounts\` (\`segment\`);`);
    this.addSql(`create index \`accounts_parent_id_index\` on \`accounts\` (\`parent_id\`);`);
    this.addSql(`create unique index \`accounts_external_id_unique\` on \`accounts\` (\`external_id\`);`);

    this.addSql(`create table \`pipeline_stages\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`name\` text not null, \`position\` integer not null, \`default_probability\` double not null, \`is_won\` integer not null default false, \`is_lost\` integer not null default false);`);
    this.addSql(`create unique index \`pipeline_stages_name_unique\` on \`pipeline_stages\` (\`name\`);`);

    this.addSql(`create table \`products\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`name\` text not null, \`family\` text not null, \`list_price_cents\` bigint not null, \`unit_cost_cents\` bigint null, \`external_id\` text null);`);
    this.addSql(`create unique index \`products_name_unique\` on \`products\` (\`name\`);`);
    this.addSql(`create index \`products_family_index\` on \`products\` (\`family\`);`);
    this.addSql(`create unique index \`products_external_id_unique\` on \`products\` (\`external_id\`);`);

    this.addSql(`create table \`spend\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`period_start\` datetime not null, \`period_end\` datetime not null, \`category\` text check (\`category\` in ('SALES', 'MARKETING')) not null, \`channel\` text null, \`amount_cents\` bigint not null);`);
    this.addSql(`create index \`spend_period_start_period_end_index\` on \`spend\` (\`period_start\`, \`period_end\`);`);

    this.addSql(`create table \`teams\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`name\` text not null, \`region\` text not null, \`manager_id\` integer null, constraint \`teams_manager_id_foreign\` foreign key(\`manager_id\`) references \`reps\`(\`id\`) on delete set null on update cascade);`);
    this.addSql(`create unique index \`teams_name_unique\` on \`teams\` (\`name\`);`);
    this.addSql(`create index \`teams_region_index\` on \`teams\` (\`region\`);`);
    this.addSql(`create index \`teams_manager_id_index\` on \`teams\` (\`manager_id\`);`);

    this.addSql(`create table \`reps\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`name\` text not null, \`email\` text not null, \`role\` text check (\`role\` in ('SDR', 'AE', 'MANAGER', 'EXEC')) not null, \`team_id\` integer null, \`active\` integer not null default true, \`hired_at\` datetime not null, \`external_id\` text null, constraint \`reps_team_id_foreign\` foreign key(\`team_id\`) references \`teams\`(\`id\`) on delete set null on update cascade);`);
    this.addSql(`create index \`reps_name_index\` on \`reps\` (\`name\`);`);
    this.addSql(`create unique index \`reps_email_unique\` on \`reps\` (\`email\`);`);
    this.addSql(`create index \`reps_role_index\` on \`reps\` (\`role\`);`);
    this.addSql(`create index \`reps_team_id_index\` on \`reps\` (\`team_id\`);`);
    this.addSql(`create unique index \`reps_external_id_unique\` on \`reps\` (\`external_id\`);`);

    this.addSql(`create table \`targets\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`kpi_key\` text not null, \`scope\` text check (\`scope\` in ('COMPANY', 'TEAM', 'REP')) not null, \`team_id\` integer null, \`rep_id\` integer null, \`period_start\` datetime not null, \`period_end\` datetime not null, \`value\` double not null, \`version\` integer not null default 1, constraint \`targets_team_id_foreign\` foreign key(\`team_id\`) references \`teams\`(\`id\`) on delete cascade on update cascade, constraint \`targets_rep_id_foreign\` foreign key(\`rep_id\`) references \`reps\`(\`id\`) on delete cascade on update cascade);`);
    this.addSql(`create index \`targets_team_id_index\` on \`targets\` (\`team_id\`);`);
    this.addSql(`create index \`targets_rep_id_index\` on \`targets\` (\`rep_id\`);`);
    this.addSql(`create index \`targets_kpi_key_period_start_index\` on \`targets\` (\`kpi_key\`, \`period_start\`);`);

    this.addSql(`create table \`deals\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`name\` text not null, \`account_id\` integer null, \`owner_id\` integer null, \`product_id\` integer null, \`amount_cents\` bigint not null, \`currency\` text not null default 'EUR', \`stage_id\` integer not null, \`status\` text check (\`status\` in ('OPEN', 'WON', 'LOST')) not null default 'OPEN', \`opened_at\` datetime null, \`engaged_at\` datetime null, \`expected_close_date\` datetime null, \`closed_at\` datetime null, \`stage_entered_at\` datetime null, \`loss_reason\` text null, \`source_lead_id\` integer null, \`source\` text null, \`forecast_category\` text check (\`forecast_category\` in ('COMMIT', 'BEST_CASE', 'PIPELINE', 'OMITTED')) null, \`external_id\` text null, \`version\` integer not null default 1, constraint \`deals_account_id_foreign\` foreign key(\`account_id\`) references \`accounts\`(\`id\`) on delete set null on update cascade, constraint \`deals_owner_id_foreign\` foreign key(\`owner_id\`) references \`reps\`(\`id\`) on delete set null on update cascade, constraint \`deals_product_id_foreign\` foreign key(\`product_id\`) references \`products\`(\`id\`) on delete set null on update cascade, constraint \`deals_stage_id_foreign\` foreign key(\`stage_id\`) references \`pipeline_stages\`(\`id\`) on update cascade, constraint \`deals_source_lead_id_foreign\` foreign key(\`source_lead_id\`) references \`leads\`(\`id\`) on delete set null on update cascade);`);
    this.addSql(`create index \`deals_account_id_index\` on \`deals\` (\`account_id\`);`);
    this.addSql(`create index \`deals_owner_id_index\` on \`deals\` (\`owner_id\`);`);
    this.addSql(`create index \`deals_product_id_index\` on \`deals\` (\`product_id\`);`);
    this.addSql(`create index \`deals_stage_id_index\` on \`deals\` (\`stage_id\`);`);
    this.addSql(`create index \`deals_opened_at_index\` on \`deals\` (\`opened_at\`);`);
    this.addSql(`create index \`deals_loss_reason_index\` on \`deals\` (\`loss_reason\`);`);
    this.addSql(`create index \`deals_source_lead_id_index\` on \`deals\` (\`source_lead_id\`);`);
    this.addSql(`create index \`deals_source_index\` on \`deals\` (\`source\`);`);
    this.addSql(`create unique index \`deals_external_id_unique\` on \`deals\` (\`external_id\`);`);
    this.addSql(`create index \`deals_stage_id_status_index\` on \`deals\` (\`stage_id\`, \`status\`);`);
    this.addSql(`create index \`deals_owner_id_status_index\` on \`deals\` (\`owner_id\`, \`status\`);`);
    this.addSql(`create index \`deals_status_closed_at_index\` on \`deals\` (\`status\`, \`closed_at\`);`);

    this.addSql(`create table \`orders\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`account_id\` integer not null, \`product_id\` integer null, \`deal_id\` integer null, \`amount_cents\` bigint not null, \`cost_cents\` bigint not null, \`ordered_at\` datetime not null, constraint \`orders_account_id_foreign\` foreign key(\`account_id\`) references \`accounts\`(\`id\`) on delete cascade on update cascade, constraint \`orders_product_id_foreign\` foreign key(\`product_id\`) references \`products\`(\`id\`) on delete set null on update cascade, constraint \`orders_deal_id_foreign\` foreign key(\`deal_id\`) references \`deals\`(\`id\`) on delete set null on update cascade);`);
    this.addSql(`create index \`orders_account_id_index\` on \`orders\` (\`account_id\`);`);
    this.addSql(`create index \`orders_product_id_index\` on \`orders\` (\`product_id\`);`);
    this.addSql(`create index \`orders_deal_id_index\` on \`orders\` (\`deal_id\`);`);
    this.addSql(`create index \`orders_ordered_at_index\` on \`orders\` (\`ordered_at\`);`);
    this.addSql(`create index \`orders_account_id_ordered_at_index\` on \`orders\` (\`account_id\`, \`ordered_at\`);`);

    this.addSql(`create table \`leads\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`name\` text not null, \`email\` text null, \`phone\` text null, \`title\` text null, \`company\` text null, \`account_id\` integer null, \`source\` text null, \`status\` text check (\`status\` in ('NEW', 'CONTACTED', 'QUALIFIED', 'DISQUALIFIED', 'CONVERTED')) not null default 'NEW', \`owner_id\` integer null, \`mql_at\` datetime null, \`sql_at\` datetime null, \`first_contacted_at\` datetime null, \`closed_at\` datetime null, \`disqualification_reason\` text null, \`budget_cents\` bigint null, \`has_authority\` integer null, \`has_need\` integer null, \`timeline_months\` integer null, \`converted_deal_id\` integer null, \`attributes\` json not null, \`external_id\` text null, \`version\` integer not null default 1, constraint \`leads_account_id_foreign\` foreign key(\`account_id\`) references \`accounts\`(\`id\`) on delete set null on update cascade, constraint \`leads_owner_id_foreign\` foreign key(\`owner_id\`) references \`reps\`(\`id\`) on delete set null on update cascade, constraint \`leads_converted_deal_id_foreign\` foreign key(\`converted_deal_id\`) references \`deals\`(\`id\`) on delete set null on update cascade);`);
    this.addSql(`create index \`leads_name_index\` on \`leads\` (\`name\`);`);
    this.addSql(`create index \`leads_company_index\` on \`leads\` (\`company\`);`);
    this.addSql(`create index \`leads_account_id_index\` on \`leads\` (\`account_id\`);`);
    this.addSql(`create index \`leads_source_index\` on \`leads\` (\`source\`);`);
    this.addSql(`create index \`leads_status_index\` on \`leads\` (\`status\`);`);
    this.addSql(`create index \`leads_owner_id_index\` on \`leads\` (\`owner_id\`);`);
    this.addSql(`create index \`leads_converted_deal_id_index\` on \`leads\` (\`converted_deal_id\`);`);
    this.addSql(`create unique index \`leads_external_id_unique\` on \`leads\` (\`external_id\`);`);
    this.addSql(`create index \`leads_status_created_at_index\` on \`leads\` (\`status\`, \`created_at\`);`);
    this.addSql(`create index \`leads_owner_id_status_index\` on \`leads\` (\`owner_id\`, \`status\`);`);

    this.addSql(`create table \`deal_stage_changes\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`deal_id\` integer not null, \`from_stage_id\` integer null, \`to_stage_id\` integer not null, \`at\` datetime not null, \`by_id\` integer null, \`inferred\` integer not null default false, constraint \`deal_stage_changes_deal_id_foreign\` foreign key(\`deal_id\`) references \`deals\`(\`id\`) on delete cascade on update cascade, constraint \`deal_stage_changes_from_stage_id_foreign\` foreign key(\`from_stage_id\`) references \`pipeline_stages\`(\`id\`) on delete set null on update cascade, constraint \`deal_stage_changes_to_stage_id_foreign\` foreign key(\`to_stage_id\`) references \`pipeline_stages\`(\`id\`) on update cascade, constraint \`deal_stage_changes_by_id_foreign\` foreign key(\`by_id\`) references \`reps\`(\`id\`) on delete set null on update cascade);`);
    this.addSql(`create index \`deal_stage_changes_deal_id_index\` on \`deal_stage_changes\` (\`deal_id\`);`);
    this.addSql(`create index \`deal_stage_changes_from_stage_id_index\` on \`deal_stage_changes\` (\`from_stage_id\`);`);
    this.addSql(`create index \`deal_stage_changes_to_stage_id_index\` on \`deal_stage_changes\` (\`to_stage_id\`);`);
    this.addSql(`create index \`deal_stage_changes_by_id_index\` on \`deal_stage_changes\` (\`by_id\`);`);
    this.addSql(`create index \`deal_stage_changes_to_stage_id_at_index\` on \`deal_stage_changes\` (\`to_stage_id\`, \`at\`);`);
    this.addSql(`create index \`deal_stage_changes_deal_id_at_index\` on \`deal_stage_changes\` (\`deal_id\`, \`at\`);`);

    this.addSql(`create table \`activities\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`type\` text check (\`type\` in ('CALL', 'EMAIL', 'MEETING', 'DEMO', 'NOTE')) not null, \`rep_id\` integer null, \`lead_id\` integer null, \`deal_id\` integer null, \`at\` datetime not null, \`outcome\` text check (\`outcome\` in ('NONE', 'NO_ANSWER', 'CONNECTED', 'REPLIED', 'MEETING_BOOKED', 'COMPLETED')) not null default 'NONE', \`notes\` text null, \`external_id\` text null, constraint \`activities_rep_id_foreign\` foreign key(\`rep_id\`) references \`reps\`(\`id\`) on delete set null on update cascade, constraint \`activities_lead_id_foreign\` foreign key(\`lead_id\`) references \`leads\`(\`id\`) on delete cascade on update cascade, constraint \`activities_deal_id_foreign\` foreign key(\`deal_id\`) references \`deals\`(\`id\`) on delete cascade on update cascade);`);
    this.addSql(`create index \`activities_rep_id_index\` on \`activities\` (\`rep_id\`);`);
    this.addSql(`create index \`activities_lead_id_index\` on \`activities\` (\`lead_id\`);`);
    this.addSql(`create index \`activities_deal_id_index\` on \`activities\` (\`deal_id\`);`);
    this.addSql(`create unique index \`activities_external_id_unique\` on \`activities\` (\`external_id\`);`);
    this.addSql(`create index \`activities_at_type_index\` on \`activities\` (\`at\`, \`type\`);`);
    this.addSql(`create index \`activities_deal_id_at_index\` on \`activities\` (\`deal_id\`, \`at\`);`);
    this.addSql(`create index \`activities_lead_id_at_index\` on \`activities\` (\`lead_id\`, \`at\`);`);
    this.addSql(`create index \`activities_rep_id_at_index\` on \`activities\` (\`rep_id\`, \`at\`);`);
  }

}
