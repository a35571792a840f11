import { Migration } from '@mikro-orm/migrations';

/**
 * The deals each bump of a deal table's data version wrote (src/shared/answer-cache/data-versions.ts): a reader
 * holding the forecast's facts re-reads those deals instead of every deal.
 */
export class Migration20261201232415_data_version_touches extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "data_version_touches" ("table_name" varchar(64) not null, "version" int not null, "deal_ids" text not null, constraint "data_version_touches_pkey" primary key ("table_name", "version"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "data_version_touches" cascade;`);
  }
}
