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
      if (kind === 'postgresql') {
        // PostgreSQL introspection is exact: any difference is a missing or stale migration.
        const diff = await app.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
        expect(diff.trim()).toBe('');
        return;
      }
      // SQLite cannot introspect foreign keys well enough for a diff; compare tables and columns instead.
      const connection = app.orm.em.getConnection();
      for (const meta of Object.values(app.orm.getMetadata().getAll())) {
        if (meta.abstract || meta.embeddable || !meta.tableName) continue;
        const columns = (await connection.execute(`pragma table_info(\`${meta.tableName}\`)`)).map((c: { name: string }) => c.name).sort();
        const expected = meta.props.flatMap((prop) => prop.fieldNames ?? []).filter((name, i, all) => all.indexOf(name) === i).sort();
        expect({ table: meta.tableName, columns }).toEqual({ table: meta.tableName, columns: expected });
      }
    } finally {
      await app.close();
    }
  });
});
