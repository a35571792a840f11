import { Migration } from '@mikro-orm/migrations';

export class Migration20261123143407_forecast extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "forecast_snapshots" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "period_label" varchar(40) not null, "period_start" timestamptz not null, "period_end" timestamptz not null, "as_of" timestamptz not null, "group_by" text check ("group_by" in ('COMPANY', 'TEAM', 'REP', 'PRODUCT')) not null, "group_key" int null, "expected_cents" bigint not null, "p10_cents" bigint not null, "p50_cents" bigint not null, "p90_cents" bigint not null, "pipeline_cents" bigint not null, "new_business_cents" bigint not null, "closed_won_cents" bigint not null, "open_deals" int not null, "simulations" int not null);`);
    this.addSql(`create index "forecast_snapshots_period_start_group_by_index" on "forecast_snapshots" ("period_start", "group_by");`);

    this.addSql(`create table "forecast_adjustments" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "period_label" varchar(40) not null, "period_start" timestamptz not null, "period_end" timestamptz not null, "scope" text check ("scope" in ('COMPANY', 'TEAM', 'REP')) not null, "team_id" int null, "rep_id" int null, "deal_id" int null, "amount_cents" bigint null, "category" text check ("category" in ('COMMIT', 'BEST_CASE', 'PIPELINE', 'OMITTED')) null, "previous_category" text check ("previous_category" in ('COMMIT', 'BEST_CASE', 'PIPELINE', 'OMITTED')) null, "note" text not null, "author_id" int not null);`);
    this.addSql(`create index "forecast_adjustments_period_start_scope_index" on "forecast_adjustments" ("period_start", "scope");`);

    this.addSql(`alter table "forecast_adjustments" add constraint "forecast_adjustments_team_id_foreign" foreign key ("team_id") references "teams" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "forecast_adjustments" add constraint "forecast_adjustments_rep_id_foreign" foreign key ("rep_id") references "reps" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "forecast_adjustments" add constraint "forecast_adjustments_deal_id_foreign" foreign key ("deal_id") references "deals" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "forecast_adjustments" add constraint "forecast_adjustments_author_id_foreign" foreign key ("author_id") references "reps" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "forecast_snapshots" cascade;`);

    this.addSql(`drop table if exists "forecast_adjustments" cascade;`);
  }

}
