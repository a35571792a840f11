import fs from 'node:fs';
import path from 'node:path';
import { printSdl } from '../../src/graphql/schema';
import { DATABASES, createTestApp } from '../helpers/databases';

describe('committed GraphQL schema', () => {
  it('schema/schema.graphql matches the code (run `npm run schema:emit` after changing the API)', async () => {
    const committed = fs.readFileSync(path.join(__dirname, '..', '..', 'schema', 'schema.graphql'), 'utf8');
    expect(committed).toBe(await printSdl());
  });
});

describe.each(DATABASES)('committed migrations on %s', (kind) => {
  it('bring an empty database to the schema the entities describe', async () => {
    const app = await createTestApp(kind);
    try {
      // Introspection is exact on both dialects (SQLite's is corrected in src/db/sqlite-driver.ts): any difference
      // is a missing or stale migration.
      const diff = await app.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
      expect(diff.trim()).toBe('');
    } finally {
      await app.close();
    }
  });
});
