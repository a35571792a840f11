import { Migration } from '@mikro-orm/migrations';

export class Migration20261123143202_auth extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "api_keys" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(120) not null, "role" text check ("role" in ('SDR', 'AE', 'MANAGER', 'EXEC', 'ADMIN')) not null, "rep_id" int null, "secret_hash" varchar(64) not null, "revoked_at" timestamptz null);`);

    this.addSql(`alter table "api_keys" add constraint "api_keys_rep_id_foreign" foreign key ("rep_id") references "reps" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "api_keys" cascade;`);
  }

}
