import { Migration20261123142137_initial } from './Migration20261123142137_initial';

/** Applied in order; a new migration is generated with `pipewise migration:create` and listed here. */
export const sqliteMigrations = [{ name: 'Migration20261123142137_initial', class: Migration20261123142137_initial }];
