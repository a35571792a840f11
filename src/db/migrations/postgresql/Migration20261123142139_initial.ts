import { Migration } from '@mikro-orm/migrations';

export class Migration20261123142139_initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "accounts" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(200) not null, "sector" varchar(80) null, "country" varchar(80) null, "employees" int null, "annual_revenue_cents" bigint null, "segment" text check ("segment" in ('A', 'B', 'C')) null, "parent_id" int null, "external_id" varchar(120) null);`);
    this.addSql(`create index "accounts_name_index" on "accounts" ("name");`);
    this.addSql(`create index "accounts_sector_index" on "accounts" ("sector");`);
    this.addSql(`create index "accounts_segment_index" on "accounts" ("segment");`);
    this.addSql(`alter table "accounts" add constraint "accounts_external_id_unique" unique ("external_id");`);

    this.addSql(`create table "pipeline_stages" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(80) not null, "position" int not null, "default_probability" double precision not null, "is_won" boolean not null default false, "is_lost" boolean not null default false);`);
    this.addSql(`alter table "pipeline_stages" add constraint "pipeline_stages_name_unique" unique ("name");`);

    this.addSql(`create table "products" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(160) not null, "family" varchar(80) not null, "list_price_cents" bigint not null, "unit_cost_cents" bigint null, "external_id" varchar(120) null);`);
    this.addSql(`alter table "products" add constraint "products_name_unique" unique ("name");`);
    this.addSql(`create index "products_family_index" on "products" ("family");`);
    this.addSql(`alter table "products" add constraint "products_external_id_unique" unique ("external_id");`);

    this.addSql(`create table "spend" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "period_start" timestamptz not null, "period_end" timestamptz not null, "category" text check ("category" in ('SALES', 'MARKETING')) not null, "channel" varchar(80) null, "amount_cents" bigint not null);`);
    this.addSql(`create index "spend_period_start_period_end_index" on "spend" ("period_start", "period_end");`);

    this.addSql(`create table "teams" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(120) not null, "region" varchar(60) not null, "manager_id" int null);`);
    this.addSql(`alter table "teams" add constraint "teams_name_unique" unique ("name");`);
    this.addSql(`create index "teams_region_index" on "teams" ("region");`);

    this.addSql(`create table "reps" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(160) not null, "email" varchar(254) not null, "role" text check ("role" in ('SDR', 'AE', 'MANAGER', 'EXEC')) not null, "team_id" int null, "active" boolean not null default true, "hired_at" timestamptz not null, "external_id" varchar(120) null);`);
    this.addSql(`create index "reps_name_index" on "reps" ("name");`);
    this.addSql(`alter table "reps" add constraint "reps_email_unique" unique ("email");`);
    this.addSql(`create index "reps_role_index" on "reps" ("role");`);
    this.addSql(`alter table "reps" add constraint "reps_external_id_unique" unique ("external_id");`);

    this.addSql(`create table "targets" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "kpi_key" varchar(60) not null, "scope" text check ("scope" in ('COMPANY', 'TEAM', 'REP')) not null, "team_id" int null, "rep_id" int null, "period_start" timestamptz not null, "period_end" timestamptz not null, "value" double precision not null, "version" int not null default 1);`);
    this.addSql(`create index "targets_kpi_key_period_start_index" on "targets" ("kpi_key", "period_start");`);

    this.addSql(`create table "deals" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(200) not null, "account_id" int null, "owner_id" int null, "product_id" int null, "amount_cents" bigint not null, "currency" varchar(3) not null default 'EUR', "stage_id" int not null, "status" text check ("status" in ('OPEN', 'WON', 'LOST')) not null default 'OPEN', "opened_at" timestamptz null, "engaged_at" timestamptz null, "expected_close_date" timestamptz null, "closed_at" timestamptz null, "stage_entered_at" timestamptz null, "loss_reason" varchar(120) null, "source_lead_id" int null, "source" varchar(80) null, "forecast_category" text check ("forecast_category" in ('COMMIT', 'BEST_CASE', 'PIPELINE', 'OMITTED')) null, "external_id" varchar(120) null, "version" int not null default 1);`);
    this.addSql(`create index "deals_opened_at_index" on "deals" ("opened_at");`);
    this.addSql(`create index "deals_loss_reason_index" on "deals" ("loss_reason");`);
    this.addSql(`create index "deals_source_index" on "deals" ("source");`);
    this.addSql(`alter table "deals" add constraint "deals_external_id_unique" unique ("external_id");`);
    this.addSql(`create index "deals_stage_id_status_index" on "deals" ("stage_id", "status");`);
    this.addSql(`create index "deals_owner_id_status_index" on "deals" ("owner_id", "status");`);
    this.addSql(`create index "deals_status_closed_at_index" on "deals" ("status", "closed_at");`);

    this.addSql(`create table "orders" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "account_id" int not null, "product_id" int null, "deal_id" int null, "amount_cents" bigint not null, "cost_cents" bigint not null, "ordered_at" timestamptz not null);`);
    this.addSql(`create index "orders_ordered_at_index" on "orders" ("ordered_at");`);
    this.addSql(`create index "orders_account_id_ordered_at_index" on "orders" ("account_id", "ordered_at");`);

    this.addSql(`create table "leads" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(160) not null, "email" varchar(254) null, "phone" varchar(40) null, "title" varchar(120) null, "company" varchar(200) null, "account_id" int null, "source" varchar(80) null, "status" text check ("status" in ('NEW', 'CONTACTED', 'QUALIFIED', 'DISQUALIFIED', 'CONVERTED')) not null default 'NEW', "owner_id" int null, "mql_at" timestamptz null, "sql_at" timestamptz null, "first_contacted_at" timestamptz null, "closed_at" timestamptz null, "disqualification_reason" varchar(200) null, "budget_cents" bigint null, "has_authority" boolean null, "has_need" boolean null, "timeline_months" int null, "converted_deal_id" int null, "attributes" jsonb not null, "external_id" varchar(120) null, "version" int not null default 1);`);
    this.addSql(`create index "leads_name_index" on "leads" ("name");`);
    this.addSql(`create index "leads_company_index" on "leads" ("company");`);
    this.addSql(`create index "leads_source_index" on "leads" ("source");`);
    this.addSql(`create index "leads_status_index" on "leads" ("status");`);
    this.addSql(`alter table "leads" add constraint "leads_external_id_unique" unique ("external_id");`);
    this.addSql(`create index "leads_status_created_at_index" on "leads" ("status", "created_at");`);
    this.addSql(`create index "leads_owner_id_status_index" on "leads" ("owner_id", "status");`);

    this.addSql(`create table "deal_stage_changes" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "deal_id" int not null, "from_stage_id" int null, "to_stage_id" int not null, "at" timestamptz not null, "by_id" int null, "inferred" boolean not null default false);`);
    this.addSql(`create index "deal_stage_changes_to_stage_id_at_index" on "deal_stage_changes" ("to_stage_id", "at");`);
    this.addSql(`create index "deal_stage_changes_deal_id_at_index" on "deal_stage_changes" ("deal_id", "at");`);

    this.addSql(`create table "activities" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "type" text check ("type" in ('CALL', 'EMAIL', 'MEETING', 'DEMO', 'NOTE')) not null, "rep_id" int null, "lead_id" int null, "deal_id" int null, "at" timestamptz not null, "outcome" text check ("outcome" in ('NONE', 'NO_ANSWER', 'CONNECTED', 'REPLIED', 'MEETING_BOOKED', 'COMPLETED')) not null default 'NONE', "notes" text null, "external_id" varchar(120) null);`);
    this.addSql(`alter table "activities" add constraint "activities_external_id_unique" unique ("external_id");`);
    this.addSql(`create index "activities_at_type_index" on "activities" ("at", "type");`);
    this.addSql(`create index "activities_deal_id_at_index" on "activities" ("deal_id", "at");`);
    this.addSql(`create index "activities_lead_id_at_index" on "activities" ("lead_id", "at");`);
    this.addSql(`create index "activities_rep_id_at_index" on "activities" ("rep_id", "at");`);

    this.addSql(`alter table "accounts" add constraint "accounts_parent_id_foreign" foreign key ("parent_id") references "accounts" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "teams" add constraint "teams_manager_id_foreign" foreign key ("manager_id") references "reps" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "reps" add constraint "reps_team_id_foreign" foreign key ("team_id") references "teams" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "targets" add constraint "targets_team_id_foreign" foreign key ("team_id") references "teams" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "targets" add constraint "targets_rep_id_foreign" foreign key ("rep_id") references "reps" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "deals" add constraint "deals_account_id_foreign" foreign key ("account_id") references "accounts" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "deals" add constraint "deals_owner_id_foreign" foreign key ("owner_id") references "reps" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "deals" add constraint "deals_product_id_foreign" foreign key ("product_id") references "products" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "deals" add constraint "deals_stage_id_foreign" foreign key ("stage_id") references "pipeline_stages" ("id") on update cascade;`);
    this.addSql(`alter table "deals" add constraint "deals_source_lead_id_foreign" foreign key ("source_lead_id") references "leads" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "orders" add constraint "orders_account_id_foreign" foreign key ("account_id") references "accounts" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "orders" add constraint "orders_product_id_foreign" foreign key ("product_id") references "products" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "orders" add constraint "orders_deal_id_foreign" foreign key ("deal_id") references "deals" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "leads" add constraint "leads_account_id_foreign" foreign key ("account_id") references "accounts" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "leads" add constraint "leads_owner_id_foreign" foreign key ("owner_id") references "reps" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "leads" add constraint "leads_converted_deal_id_foreign" foreign key ("converted_deal_id") references "deals" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "deal_stage_changes" add constraint "deal_stage_changes_deal_id_foreign" foreign key ("deal_id") references "deals" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "deal_stage_changes" add constraint "deal_stage_changes_from_stage_id_foreign" foreign key ("from_stage_id") references "pipeline_stages" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "deal_stage_changes" add constraint "deal_stage_changes_to_stage_id_foreign" foreign key ("to_stage_id") references "pipeline_stages" ("id") on update cascade;`);
    this.addSql(`alter table "deal_stage_changes" add constraint "deal_stage_changes_by_id_foreign" foreign key ("by_id") references "reps" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "activities" add constraint "activities_rep_id_foreign" foreign key ("rep_id") references "reps" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "activities" add constraint "activities_lead_id_foreign" foreign key ("lead_id") references "leads" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "activities" add constraint "activities_deal_id_foreign" foreign key ("deal_id") references "deals" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "accounts" drop constraint "accounts_parent_id_foreign";`);

    this.addSql(`alter table "deals" drop constraint "deals_account_id_foreign";`);

    this.addSql(`alter table "orders" drop constraint "orders_account_id_foreign";`);

    this.addSql(`alter table "leads" drop constraint "leads_account_id_foreign";`);

    this.addSql(`alter table "deals" drop constraint "deals_stage_id_foreign";`);

    this.addSql(`alter table "deal_stage_changes" drop constraint "deal_stage_changes_from_stage_id_foreign";`);

    this.addSql(`alter table "deal_stage_changes" drop constraint "deal_stage_changes_to_stage_id_foreign";`);

    this.addSql(`alter table "deals" drop constraint "deals_product_id_foreign";`);

    this.addSql(`alter table "orders" drop constraint "orders_product_id_foreign";`);

    this.addSql(`alter table "reps" drop constraint "reps_team_id_foreign";`);

    this.addSql(`alter table "targets" drop constraint "targets_team_id_foreign";`);

    this.addSql(`alter table "teams" drop constraint "teams_manager_id_foreign";`);

    this.addSql(`alter table "targets" drop constraint "targets_rep_id_foreign";`);

    this.addSql(`alter table "deals" drop constraint "deals_owner_id_foreign";`);

    this.addSql(`alter table "leads" drop constraint "leads_owner_id_foreign";`);

    this.addSql(`alter table "deal_stage_changes" drop constraint "deal_stage_changes_by_id_foreign";`);

    this.addSql(`alter table "activities" drop constraint "activities_rep_id_foreign";`);

    this.addSql(`alter table "orders" drop constraint "orders_deal_id_foreign";`);

    this.addSql(`alter table "leads" drop constraint "leads_converted_deal_id_foreign";`);

    this.addSql(`alter table "deal_stage_changes" drop constraint "deal_stage_changes_deal_id_foreign";`);

    this.addSql(`alter table "activities" drop constraint "activities_deal_id_foreign";`);

    this.addSql(`alter table "deals" drop constraint "deals_source_lead_id_foreign";`);

    this.addSql(`alter table "activities" drop constraint "activities_lead_id_foreign";`);

    this.addSql(`drop table if exists "accounts" cascade;`);

    this.addSql(`drop table if exists "pipeline_stages" cascade;`);

    this.addSql(`drop table if exists "products" cascade;`);

    this.addSql(`drop table if exists "spend" cascade;`);

    this.addSql(`drop table if exists "teams" cascade;`);

    this.addSql(`drop table if exists "reps" cascade;`);

    this.addSql(`drop table if exists "targets" cascade;`);

    this.addSql(`drop table if exists "deals" cascade;`);

    this.addSql(`drop table if exists "orders" cascade;`);

    this.addSql(`drop table if exists "leads" cascade;`);

    this.addSql(`drop table if exists "deal_stage_changes" cascade;`);

    this.addSql(`drop table if exists "activities" cascade;`);
  }

}
