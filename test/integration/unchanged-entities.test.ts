import type { EntityMetadata } from '@mikro-orm/core';
import type { Em } from '../../src/db/orm';
import { Target } from '../../src/modules/targets/target.entity';
import { DATABASES, type TestApp } from '../helpers/databases';
import { createSeededTestApp } from '../helpers/seeded-world';

/**
 * An entity read and left alone is never written back. MikroORM decides what a flush writes by comparing each
 * loaded entity with the snapshot taken when it was loaded; a property type whose two sides disagree (SQLite's
 * `type: 'datetime'` compared a Date with epoch ms) makes every loaded row "changed". Then any flush of a request
 * that had read rows rewrote them: a new updated_at, a bumped row version, and the answer cache's data version of
 * their table bumped, so a forecast was never served from the cache.
 */
describe.each(DATABASES)('entities loaded unchanged on %s', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createSeededTestApp(kind, 'small');
  });
  afterAll(async () => app?.close());

  const tables = (): EntityMetadata[] =>
    Object.values(app.orm.getMetadata().getAll()).filter((meta) => !meta.embeddable && !meta.virtual && !meta.pivotTable && meta.tableName && meta.class);

  it('give no change set, for every entity the seeded world has rows of', async () => {
    const em = app.orm.em.fork() as Em;
    const loaded: string[] = [];
    for (const meta of tables()) {
      const rows = await em.find(meta.class, {}, { limit: 25 });
      if (rows.length) loaded.push(meta.className);
    }
    // The world must exercise the entities with dates (deals, targets, leads, activities, stage history...).
    expect(loaded).toEqual(expect.arrayContaining(['Deal', 'Target', 'Lead', 'Activity', 'DealStageChange', 'DealChange', 'Rep', 'Order', 'Spend']));
    const uow = em.getUnitOfWork();
    uow.computeChangeSets();
    expect(uow.getChangeSets().map((cs) => `${cs.meta.className}#${cs.entity.id}: ${Object.keys(cs.payload).join(', ')}`)).toEqual([]);
  });

  it('are not rewritten by a later flush of the same entity manager (updated_at and version stay)', async () => {
    const em = app.orm.em.fork() as Em;
    const targets = await em.find(Target, {}, { orderBy: { id: 'asc' }, limit: 5 });
    const before = targets.map((t) => [t.id, t.updatedAt.getTime(), t.version]);
    const versions = () => app.orm.em.getConnection().execute(`select table_name, version from data_versions where table_name = 'targets'`);
    const versionBefore = await versions();
    await em.flush();
    const reread = await app.orm.em.fork().find(Target, { id: { $in: targets.map((t) => t.id) } }, { orderBy: { id: 'asc' } });
    expect(reread.map((t) => [t.id, t.updatedAt.getTime(), t.version])).toEqual(before);
    expect(await versions()).toEqual(versionBefore);
  });

  it('still writes what did change, and only that', async () => {
    const em = app.orm.em.fork() as Em;
    const [first] = await em.find(Target, {}, { orderBy: { id: 'asc' }, limit: 2 });
    first.value += 1;
    const uow = em.getUnitOfWork();
    uow.computeChangeSets();
    const sets = uow.getChangeSets();
    expect(sets.map((cs) => cs.entity)).toEqual([first]); // the second target loaded beside it is not written
    expect(Object.keys(sets[0].payload).sort()).toEqual(['updatedAt', 'value']);
  });
});
