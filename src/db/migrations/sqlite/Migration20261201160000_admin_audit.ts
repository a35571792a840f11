import { Migration } from '@mikro-orm/migrations';

/** Rep and team administration: who changed the sales organisation, when, from what to what. */
export class Migration20261201160000_admin_audit extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table \`admin_audit\` (\`id\` integer not null primary key autoincrement, \`created_at\` datetime not null, \`updated_at\` datetime not null, \`action\` text check (\`action\` in ('CREATE_TEAM', 'CREATE_REP', 'CHANGE_REP_ROLE', 'MOVE_REP_TO_TEAM', 'SET_TEAM_MANAGER', 'DEACTIVATE_REP', 'REACTIVATE_REP')) not null, \`actor\` text not null, \`actor_rep_id\` integer null, \`rep_id\` integer null, \`team_id\` integer null, \`before\` json null, \`after\` json not null, constraint \`admin_audit_actor_rep_id_foreign\` foreign key(\`actor_rep_id\`) references \`reps\`(\`id\`) on delete set null on update cascade, constraint \`admin_audit_rep_id_foreign\` foreign key(\`rep_id\`) references \`reps\`(\`id\`) on delete set null on update cascade, constraint \`admin_audit_team_id_foreign\` foreign key(\`team_id\`) references \`teams\`(\`id\`) on delete set null on update cascade);`);
    this.addSql(`create index \`admin_audit_actor_rep_id_index\` on \`admin_audit\` (\`actor_rep_id\`);`);
    this.addSql(`create index \`admin_audit_rep_id_index\` on \`admin_audit\` (\`rep_id\`);`);
    this.addSql(`create index \`admin_audit_team_id_index\` on \`admin_audit\` (\`team_id\`);`);
    this.addSql(`create index \`admin_audit_rep_id_created_at_index\` on \`admin_audit\` (\`rep_id\`, \`created_at\`);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists `admin_audit`;');
  }
}
