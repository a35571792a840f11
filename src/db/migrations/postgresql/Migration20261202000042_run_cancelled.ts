import { Migration } from '@mikro-orm/migrations';

/** Scheduled runs may end CANCELLED: the server's own shutdown cut them off, and the next check runs the slot again. */
export class Migration20261202000042_run_cancelled extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "scheduled_runs" drop constraint if exists "scheduled_runs_status_check";`);
    this.addSql(`alter table "scheduled_runs" add constraint "scheduled_runs_status_check" check("status" in ('RUNNING', 'DONE', 'FAILED', 'CANCELLED'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "scheduled_runs" drop constraint if exists "scheduled_runs_status_check";`);
    this.addSql(`alter table "scheduled_runs" add constraint "scheduled_runs_status_check" check("status" in ('RUNNING', 'DONE', 'FAILED'));`);
  }
}
