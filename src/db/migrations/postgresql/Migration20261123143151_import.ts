import { Migration } from '@mikro-orm/migrations';

export class Migration20261123143151_import extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "import_runs" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "status" varchar(20) not null, "mapping" jsonb not null, "counts" jsonb not null, "attribute_types" jsonb not null, "rejected_rows" int not null, "duration_ms" int not null, "report" jsonb not null);`);
    this.addSql(`create index "import_runs_created_at_index" on "import_runs" ("created_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "import_runs" cascade;`);
  }

}
