import { Migration } from '@mikro-orm/migrations';

/** Deal field history: every change of a deal's amount, expected close date, stage, owner, status, forecast category. */
export class Migration20261201120002_deal_changes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "deal_changes" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "deal_id" int not null, "field" text check ("field" in ('AMOUNT', 'EXPECTED_CLOSE_DATE', 'STAGE', 'OWNER', 'STATUS', 'FORECAST_CATEGORY')) not null, "old_value" text null, "new_value" text null, "at" timestamptz not null, "by_id" int null, "source" text check ("source" in ('API', 'IMPORT', 'SEED')) not null);`);
    this.addSql(`create index "deal_changes_field_at_index" on "deal_changes" ("field", "at");`);
    this.addSql(`create index "deal_changes_deal_id_at_index" on "deal_changes" ("deal_id", "at");`);

    this.addSql(`alter table "deal_changes" add constraint "deal_changes_deal_id_foreign" foreign key ("deal_id") references "deals" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "deal_changes" add constraint "deal_changes_by_id_foreign" foreign key ("by_id") references "reps" ("id") on update cascade on delete set null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "deal_changes" cascade;`);
  }
}
