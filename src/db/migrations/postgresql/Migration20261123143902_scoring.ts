import { Migration } from '@mikro-orm/migrations';

export class Migration20261123143902_scoring extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "deal_scores" ("deal_id" int not null, "owner_id" int null, "team_id" int null, "probability" double precision not null, "score" smallint not null, "tier" varchar(1) not null, "factors" jsonb not null, "model_version" varchar(80) not null, "method" varchar(10) not null, "scored_at" timestamptz not null, "stage_id" int null, "record_created_at" timestamptz not null, constraint "deal_scores_pkey" primary key ("deal_id"));`);
    this.addSql(`create index "deal_scores_owner" on "deal_scores" ("owner_id", "probability", "deal_id");`);

    this.addSql(`create table "lead_scores" ("lead_id" int not null, "owner_id" int null, "team_id" int null, "probability" double precision not null, "score" smallint not null, "tier" varchar(1) not null, "factors" jsonb not null, "model_version" varchar(80) not null, "method" varchar(10) not null, "scored_at" timestamptz not null, "status" varchar(20) not null, "source" varchar(80) null, "record_created_at" timestamptz not null, constraint "lead_scores_pkey" primary key ("lead_id"));`);
    this.addSql(`create index "lead_scores_queue_all" on "lead_scores" ("probability", "record_created_at", "lead_id");`);
    this.addSql(`create index "lead_scores_queue_team" on "lead_scores" ("team_id", "probability", "record_created_at", "lead_id");`);
    this.addSql(`create index "lead_scores_queue_owner" on "lead_scores" ("owner_id", "probability", "record_created_at", "lead_id");`);

    this.addSql(`create table "model_versions" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "kind" text check ("kind" in ('LEAD', 'DEAL')) not null, "version" varchar(80) not null, "status" text check ("status" in ('TRAINING', 'READY', 'FAILED')) not null default 'TRAINING', "active" boolean not null default false, "path" varchar(300) null, "algorithm" varchar(40) null, "progress" double precision not null default 0, "message" text null, "report" jsonb null, "data_from" timestamptz null, "data_to" timestamptz null, "trained_at" timestamptz null);`);
    this.addSql(`alter table "model_versions" add constraint "model_versions_version_unique" unique ("version");`);
    this.addSql(`create index "model_versions_kind_active_index" on "model_versions" ("kind", "active");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "deal_scores" cascade;`);

    this.addSql(`drop table if exists "lead_scores" cascade;`);

    this.addSql(`drop table if exists "model_versions" cascade;`);
  }

}
