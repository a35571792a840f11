import fs from 'node:fs';
import path from 'node:path';
import type { Em } from '../../src/db/orm';
import { fileSource } from '../../src/modules/import/csv-source';
import { runImport } from '../../src/modules/import/import.service';
import type { TestApp } from './databases';

/** The committed mapping of the Olist funnel (../shared/data/olist-marketing-funnel). */
export const OLIST_MAPPING_DIR = path.resolve(__dirname, '../../examples/olist');

/** Imports the Olist funnel into the app's database with the committed mapping; fails the test unless it commits. */
export async function importOlistFunnel(app: TestApp): Promise<void> {
  const mapping = JSON.parse(fs.readFileSync(path.join(OLIST_MAPPING_DIR, 'mapping.json'), 'utf8'));
  const report = await runImport(app.orm.em as Em, app.kind, mapping, (file) => fileSource(path.basename(file), path.resolve(OLIST_MAPPING_DIR, file)));
  expect(report.status).toBe('COMMITTED');
}
