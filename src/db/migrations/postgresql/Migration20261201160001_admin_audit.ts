import { Migration } from '@mikro-orm/migrations';

/** Rep and team administration: who changed the sales organisation, when, from what to what. */
export class Migration20261201160001_admin_audit extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "admin_audit" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "action" text check ("action" in ('CREATE_TEAM', 'CREATE_REP', 'CHANGE_REP_ROLE', 'MOVE_REP_TO_TEAM', 'SET_TEAM_MANAGER', 'DEACTIVATE_REP', 'REACTIVATE_REP')) not null, "actor" varchar(120) not null, "actor_rep_id" int null, "rep_id" int null, "team_id" int null, "before" jsonb null, "after" jsonb not null);`);
    this.addSql(`create index "admin_audit_rep_id_created_at_index" on "admin_audit" ("rep_id", "created_at");`);
    this.addSql(`alter table "admin_audit" add constraint "admin_audit_actor_rep_id_foreign" foreign key ("actor_rep_id") references "reps" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "admin_audit" add constraint "admin_audit_rep_id_foreign" foreign key ("rep_id") references "reps" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "admin_audit" add constraint "admin_audit_team_id_foreign" foreign key ("team_id") references "teams" ("id") on update cascade on delete set null;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "admin_audit" cascade;');
  }
}
