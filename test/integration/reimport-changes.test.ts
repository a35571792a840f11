import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';
import type { Em } from '../../src/db/orm';
import { Deal } from '../../src/modules/deal/deal.entity';
import { DealChange } from '../../src/modules/deal/deal-change.entity';
import { fileSource } from '../../src/modules/import/csv-source';
import { runImport } from '../../src/modules/import/import.service';

const EXAMPLE = path.join(__dirname, '../../examples/crm-export');

/** A copy of the example export with one deal's opportunity row rewritten. */
function exportWith(replace: [string, string]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-reimport-'));
  for (const file of fs.readdirSync(EXAMPLE)) fs.copyFileSync(path.join(EXAMPLE, file), path.join(dir, file));
  const csv = path.join(dir, 'opportunities.csv');
  const text = fs.readFileSync(csv, 'utf8');
  expect(text).toContain(replace[0]);
  fs.writeFileSync(csv, text.replace(replace[0], replace[1]));
  return dir;
}

describe.each(DATABASES)('re-import records deal changes on %s', (kind) => {
  let app: TestApp;
  const run = (dir: string) =>
    runImport(app.orm.em as Em, kind, JSON.parse(fs.readFileSync(path.join(dir, 'mapping.json'), 'utf8')), (file) => fileSource(file, path.join(dir, file)), {});

  beforeAll(async () => {
    app = await createTestApp(kind);
  });
  afterAll(async () => app?.close());

  it('records nothing on a first import or an unchanged re-import, and the changed fields of a changed deal', async () => {
    expect((await run(EXAMPLE)).status).toBe('COMMITTED');
    expect((await run(EXAMPLE)).status).toBe('COMMITTED');
    expect(await app.orm.em.fork().count(DealChange, {})).toBe(0);

    // 9ME3374G: Engaging (Qualification) with no value -> won on 2017-02-01 for 2,500
    const dir = exportWith(['9ME3374G,Hayden Neloms,Dalttechnology,MG Advanced,Engaging,2016-11-01,,,', '9ME3374G,Hayden Neloms,Dalttechnology,MG Advanced,Closed Won,2016-11-01,2017-02-01,2500,']);
    const report = await run(dir);
    expect(report.status).toBe('COMMITTED');
    const em = app.orm.em.fork();
    const deal = await em.findOneOrFail(Deal, { externalId: '9ME3374G' }, { populate: ['stage'] });
    const changes = await em.find(DealChange, { deal }, { orderBy: { field: 'asc' } });
    const stageId = (name: string) => em.getConnection().execute(`select id from pipeline_stages where name = ?`, [name]).then((r) => String(r[0].id));
    expect(changes.map((c) => [c.field, c.oldValue, c.newValue, c.source, c.by ?? null])).toEqual([
      ['AMOUNT', '339300', '250000', 'IMPORT', null], // the MG Advanced list price used when the value was missing
      ['STAGE', await stageId('Qualification'), await stageId('Won'), 'IMPORT', null],
      ['STATUS', 'OPEN', 'WON', 'IMPORT', null],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
    expect(await em.count(DealChange, {})).toBe(3); // no other deal changed (a closed deal's expected close date is not imported)
  });
});
