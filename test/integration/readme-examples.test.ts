import fs from 'node:fs';
import path from 'node:path';
import { seedDemoWorld } from '../../seeds';
import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';

/** Every read-only GraphQL example in the README, in order. */
const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const EXAMPLES = [...README.matchAll(/```graphql\n([\s\S]*?)```/g)]
  .map((match) => match[1].replace(/^#.*$/gm, '').trim())
  .filter((body) => !body.startsWith('mutation'));

describe.each(DATABASES)('README examples on a seeded world (%s)', (kind) => {
  let app: TestApp;

  beforeAll(async () => {
    app = await createTestApp(kind);
    await seedDemoWorld(app.orm, { seed: 42, deals: 600, end: new Date('2026-11-23T00:00:00Z') });
  }, 120_000);
  afterAll(async () => app?.close());

  it('has examples to check', () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(2);
  });

  it.each(EXAMPLES.map((query, i) => [i + 1, query]))('example %i returns data without errors', async (_n, query) => {
    const res = await app.execute(query as string);
    expect(res.errors).toBeUndefined();
    const values = Object.values(res.data ?? {});
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) {
      expect(value).not.toBeNull();
      const edges = (value as { edges?: unknown[] }).edges;
      if (edges) expect(edges.length).toBeGreaterThan(0); // a connection example shows rows, not an empty page
      const rows = (value as { rows?: unknown[] }).rows;
      if (rows) expect(rows.length).toBeGreaterThan(0); // a KPI example shows values
    }
  });
});
