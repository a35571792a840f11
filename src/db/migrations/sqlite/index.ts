import { Migration20261123142137_initial } from './Migration20261123142137_initial';
import { Migration20261123143148_import } from './Migration20261123143148_import';
import { Migration20261123143200_auth } from './Migration20261123143200_auth';
import { Migration20261123143403_forecast } from './Migration20261123143403_forecast';
import { Migration20261123143856_scoring } from './Migration20261123143856_scoring';
import { Migration20261123151500_kpi } from './Migration20261123151500_kpi';
import { Migration20261201100000_stage_history_known } from './Migration20261201100000_stage_history_known';
import { Migration20261201120000_deal_changes } from './Migration20261201120000_deal_changes';
import { Migration20261201120100_scheduled_runs } from './Migration20261201120100_scheduled_runs';
import { Migration20261201130000_answer_cache } from './Migration20261201130000_answer_cache';
import { Migration20261201160000_admin_audit } from './Migration20261201160000_admin_audit';
import { Migration20261201170000_movement_index } from './Migration20261201170000_movement_index';
import { Migration20261201180000_deal_sort_indexes } from './Migration20261201180000_deal_sort_indexes';
import { Migration20261201181000_forecast_revisions_index } from './Migration20261201181000_forecast_revisions_index';
import { Migration20261201190000_target_lookup_indexes } from './Migration20261201190000_target_lookup_indexes';
import { Migration20261201200000_deal_status_sort_index } from './Migration20261201200000_deal_status_sort_index';
import { Migration20261201232410_data_version_touches } from './Migration20261201232410_data_version_touches';
import { Migration20261202000037_run_cancelled } from './Migration20261202000037_run_cancelled';

/** Applied in order; a new migration is generated with `pipewise migration:create` and listed here. */
export const sqliteMigrations = [
  { name: 'Migration20261123142137_initial', class: Migration20261123142137_initial },
  { name: 'Migration20261123143148_import', class: Migration20261123143148_import },
  { name: 'Migration20261123143200_auth', class: Migration20261123143200_auth },
  { name: 'Migration20261123143403_forecast', class: Migration20261123143403_forecast },
  { name: 'Migration20261123143856_scoring', class: Migration20261123143856_scoring },
  { name: 'Migration20261123151500_kpi', class: Migration20261123151500_kpi },
  { name: 'Migration20261201100000_stage_history_known', class: Migration20261201100000_stage_history_known },
  { name: 'Migration20261201120000_deal_changes', class: Migration20261201120000_deal_changes },
  { name: 'Migration20261201120100_scheduled_runs', class: Migration20261201120100_scheduled_runs },
  { name: 'Migration20261201130000_answer_cache', class: Migration20261201130000_answer_cache },
  { name: 'Migration20261201160000_admin_audit', class: Migration20261201160000_admin_audit },
  { name: 'Migration20261201170000_movement_index', class: Migration20261201170000_movement_index },
  { name: 'Migration20261201180000_deal_sort_indexes', class: Migration20261201180000_deal_sort_indexes },
  { name: 'Migration20261201181000_forecast_revisions_index', class: Migration20261201181000_forecast_revisions_index },
  { name: 'Migration20261201190000_target_lookup_indexes', class: Migration20261201190000_target_lookup_indexes },
  { name: 'Migration20261201200000_deal_status_sort_index', class: Migration20261201200000_deal_status_sort_index },
  { name: 'Migration20261201232410_data_version_touches', class: Migration20261201232410_data_version_touches },
  { name: 'Migration20261202000037_run_cancelled', class: Migration20261202000037_run_cancelled },
];
