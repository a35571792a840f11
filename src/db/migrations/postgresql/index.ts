import { Migration20261123142139_initial } from './Migration20261123142139_initial';

/** Applied in order; a new migration is generated with `pipewise migration:create` and listed here. */
export const postgresqlMigrations = [{ name: 'Migration20261123142139_initial', class: Migration20261123142139_initial }];
