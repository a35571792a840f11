import { Migration } from '@mikro-orm/migrations';

/** Scheduled jobs (forecast snapshots): one row per job and time slot, the claim that lets one server of several run it. */
export class Migration20261201120102_scheduled_runs extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "scheduled_runs" ("id" serial primary key, "created_at" timestamptz not null, "updated_at" timestamptz not null, "job" varchar(60) not null, "slot" varchar(40) not null, "instance" varchar(120) not null, "status" text check ("status" in ('RUNNING', 'DONE', 'FAILED')) not null, "started_at" timestamptz not null, "finished_at" timestamptz null, "message" text null);`);
    this.addSql(`alter table "scheduled_runs" add constraint "scheduled_runs_job_slot_unique" unique ("job", "slot");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "scheduled_runs" cascade;`);
  }
}
