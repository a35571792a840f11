import { Migration20261123142139_initial } from './Migration20261123142139_initial';
import { Migration20261123143151_import } from './Migration20261123143151_import';
import { Migration20261123143202_auth } from './Migration20261123143202_auth';
import { Migration20261123143407_forecast } from './Migration20261123143407_forecast';
import { Migration20261123143902_scoring } from './Migration20261123143902_scoring';
import { Migration20261123151502_kpi } from './Migration20261123151502_kpi';
import { Migration20261201100000_stage_history_known } from './Migration20261201100000_stage_history_known';
import { Migration20261201120002_deal_changes } from './Migration20261201120002_deal_changes';
import { Migration20261201120102_scheduled_runs } from './Migration20261201120102_scheduled_runs';
import { Migration20261201130001_answer_cache } from './Migration20261201130001_answer_cache';
import { Migration20261201160001_admin_audit } from './Migration20261201160001_admin_audit';
import { Migration20261201170001_movement_index } from './Migration20261201170001_movement_index';
import { Migration20261201180001_deal_sort_indexes } from './Migration20261201180001_deal_sort_indexes';
import { Migration20261201181001_forecast_revisions_index } from './Migration20261201181001_forecast_revisions_index';
import { Migration20261201190001_target_lookup_indexes } from './Migration20261201190001_target_lookup_indexes';
import { Migration20261201200001_deal_status_sort_index } from './Migration20261201200001_deal_status_sort_index';
import { Migration20261201200101_account_fk_indexes } from './Migration20261201200101_account_fk_indexes';
import { Migration20261201232415_data_version_touches } from './Migration20261201232415_data_version_touches';
import { Migration20261202000042_run_cancelled } from './Migration20261202000042_run_cancelled';

/** Applied in order; a new migration is generated with `pipewise migration:create` and listed here. */
export const postgresqlMigrations = [
  { name: 'Migration20261123142139_initial', class: Migration20261123142139_initial },
  { name: 'Migration20261123143151_import', class: Migration20261123143151_import },
  { name: 'Migration20261123143202_auth', class: Migration20261123143202_auth },
  { name: 'Migration20261123143407_forecast', class: Migration20261123143407_forecast },
  { name: 'Migration20261123143902_scoring', class: Migration20261123143902_scoring },
  { name: 'Migration20261123151502_kpi', class: Migration20261123151502_kpi },
  { name: 'Migration20261201100000_stage_history_known', class: Migration20261201100000_stage_history_known },
  { name: 'Migration20261201120002_deal_changes', class: Migration20261201120002_deal_changes },
  { name: 'Migration20261201120102_scheduled_runs', class: Migration20261201120102_scheduled_runs },
  { name: 'Migration20261201130001_answer_cache', class: Migration20261201130001_answer_cache },
  { name: 'Migration20261201160001_admin_audit', class: Migration20261201160001_admin_audit },
  { name: 'Migration20261201170001_movement_index', class: Migration20261201170001_movement_index },
  { name: 'Migration20261201180001_deal_sort_indexes', class: Migration20261201180001_deal_sort_indexes },
  { name: 'Migration20261201181001_forecast_revisions_index', class: Migration20261201181001_forecast_revisions_index },
  { name: 'Migration20261201190001_target_lookup_indexes', class: Migration20261201190001_target_lookup_indexes },
  { name: 'Migration20261201200001_deal_status_sort_index', class: Migration20261201200001_deal_status_sort_index },
  { name: 'Migration20261201200101_account_fk_indexes', class: Migration20261201200101_account_fk_indexes },
  { name: 'Migration20261201232415_data_version_touches', class: Migration20261201232415_data_version_touches },
  { name: 'Migration20261202000042_run_cancelled', class: Migration20261202000042_run_cancelled },
];
