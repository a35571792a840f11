/** `pipewise migration:create`: a migration from the entity changes, named, listed in its dialect's index.ts. */
import fs from 'node:fs';
import path from 'node:path';
import type { DatabaseKind } from '../config';
import { UsageError } from '../shared/cli';
import { migrationsDir, type Orm } from './orm';

export interface CreatedMigration {
  /** Empty when the database already matches the entities. */
  file: string | null;
  className: string | null;
  statements: number;
}

/** "add-forecast-snapshots" -> "add_forecast_snapshots": the name becomes part of a class name. */
export function migrationSuffix(name: string): string {
  const suffix = name.trim().replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  if (!/^[A-Za-z][A-Za-z0-9_]{0,59}$/.test(suffix)) throw new UsageError(`--name ${JSON.stringify(name)}: expected a short name of letters, digits and hyphens, e.g. --name add-forecast-snapshots`);
  return suffix;
}

/**
 * Diffs the migrated database against the entities and writes the difference as a migration into `dir`
 * (the committed folder of the dialect by default), then lists it in `dir/index.ts` so it is applied.
 */
export async function createMigration(orm: Orm, kind: DatabaseKind, name: string, dir = migrationsDir(kind)): Promise<CreatedMigration> {
  const suffix = migrationSuffix(name);
  const result = await orm.getMigrator().createMigration(dir, false, false, suffix);
  if (!result.fileName) return { file: null, className: null, statements: 0 };
  const className = path.basename(result.fileName, '.ts');
  registerMigration(dir, className);
  return { file: path.join(dir, result.fileName), className, statements: result.diff.up.length };
}

/** Adds the import and the list entry for `className` to `dir/index.ts` (kept in timestamp order by name). */
export function registerMigration(dir: string, className: string): void {
  const index = path.join(dir, 'index.ts');
  const source = fs.readFileSync(index, 'utf8');
  if (source.includes(`'${className}'`)) return;
  const imports = [...source.matchAll(/^import .*$/gm)];
  const lastImport = imports[imports.length - 1];
  const withImport = lastImport
    ? source.slice(0, lastImport.index + lastImport[0].length) + `\nimport { ${className} } from './${className}';` + source.slice(lastImport.index + lastImport[0].length)
    : `import { ${className} } from './${className}';\n${source}`;
  const end = withImport.lastIndexOf('];');
  if (end < 0) throw new Error(`${index}: no migrations list ("];") to add ${className} to`);
  fs.writeFileSync(index, `${withImport.slice(0, end)}  { name: '${className}', class: ${className} },\n${withImport.slice(end)}`);
}
