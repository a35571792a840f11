import type { Em } from '../../src/db/orm';
import { Deal } from '../../src/modules/deal/deal.entity';
import { ChangeSource, DealChange, DealField } from '../../src/modules/deal/deal-change.entity';
import { DealStageChange } from '../../src/modules/deal/stage-change.entity';
import { factsAt } from '../../src/modules/forecast/fact-source';
import type { FactTable } from '../../src/modules/forecast/facts';
import { loadFactSource, loadFacts } from '../../src/modules/forecast/facts.sql';
import { PipelineStage } from '../../src/modules/pipeline/stage.entity';
import { Rep } from '../../src/modules/rep/rep.entity';
import { DealStatus, ForecastCategory } from '../../src/shared/enums';
import { loadFactsReference } from '../helpers/as-of-facts-reference';
import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';
import { firstDifference } from '../helpers/first-difference';
import { seededDatabase } from '../helpers/seeded-world';

const difference = (a: FactTable, b: FactTable) => firstDifference(a, b, 'table');

const at = (iso: string) => new Date(iso);
const CHANGED = at('2026-03-10T12:00:00Z');

/*
 * The seeded "small" world (600 deals with their stage and field history) and deals that take every branch of the
 * as-of SQL: no date of its own (exists from its creation while open), only a current stage, opened after its first
 * stage change, closed without an opened date, a lost deal with no date at all (never in a table), a deal whose only
 * history is its win, a deal opened in the future, and field changes with empty old values, unknown categories, an
 * owner handed over, microseconds and dates past 2100 (PostgreSQL), two changes of one field after a date (the first one's old value counts), and a field change and
 * a stage move exactly at a probed date.
 */
async function addEdgeDeals(em: Em, kind: string) {
  const stages = await em.find(PipelineStage, {}, { orderBy: { position: 'asc' } });
  const open = stages.filter((s) => !s.isWon && !s.isLost);
  const won = stages.find((s) => s.isWon)!;
  const lost = stages.find((s) => s.isLost)!;
  const [alex, nora] = await em.find(Rep, { team: { $ne: null } }, { orderBy: { id: 'asc' }, limit: 2 });
  const deal = (name: string, data: Partial<Deal>) =>
    em.create(Deal, { name, owner: alex, amountCents: 500_000, stage: open[1], status: DealStatus.OPEN, ...data } as never) as Deal;
  const move = (d: Deal, to: PipelineStage, iso: string) => em.create(DealStageChange, { deal: d, fromStage: null, toStage: to, at: at(iso) });
  const change = (d: Deal, field: DealField, oldValue: string | null, newValue: string | null, when: Date) =>
    em.create(DealChange, { deal: d, field, oldValue, newValue, at: when, source: ChangeSource.API } as never);

  deal('No date of its own', {});
  deal('Current stage only', { openedAt: at('2026-02-01T00:00:00Z'), stageEnteredAt: at('2026-02-15T00:00:00Z') });
  const late = deal('Opened after its first move', { openedAt: at('2026-04-01T00:00:00Z') });
  move(late, open[0], '2026-01-05T00:00:00Z');
  move(late, open[2], '2026-05-01T00:00:00Z');
  const closed = deal('Won without an opened date', { stage: won, status: DealStatus.WON, closedAt: at('2026-06-01T00:00:00Z') });
  move(closed, open[0], '2026-02-01T00:00:00Z');
  move(closed, open[3], '2026-04-01T00:00:00Z');
  move(closed, won, '2026-06-01T00:00:00Z');
  deal('Lost with no date at all', { stage: lost, status: DealStatus.LOST });
  const onlyWin = deal('Only its win recorded', { stage: won, status: DealStatus.WON, closedAt: at('2026-03-01T00:00:00Z') });
  move(onlyWin, won, '2026-03-01T00:00:00Z');
  deal('Opened in the future', { openedAt: at('2027-03-01T00:00:00Z'), expectedCloseDate: at('2027-06-01T00:00:00Z') });
  const revised = deal('Revised often', { openedAt: at('2026-01-01T00:00:00Z'), owner: nora, amountCents: 900_000, forecastCategory: ForecastCategory.COMMIT, expectedCloseDate: at('2026-09-30T00:00:00Z') });
  move(revised, open[0], '2026-01-01T00:00:00Z');
  move(revised, open[2], CHANGED.toISOString());
  change(revised, DealField.AMOUNT, null, '300000', at('2026-02-01T00:00:00Z'));
  change(revised, DealField.AMOUNT, '300000', '600000', CHANGED);
  change(revised, DealField.AMOUNT, '600000', '900000', at('2026-07-01T00:00:00Z'));
  change(revised, DealField.EXPECTED_CLOSE_DATE, null, '2026-06-30T00:00:00.000Z', at('2026-02-01T00:00:00Z'));
  change(revised, DealField.EXPECTED_CLOSE_DATE, '2026-06-30T00:00:00.000Z', '2026-09-30T00:00:00.000Z', CHANGED);
  change(revised, DealField.OWNER, null, String(alex.id), at('2026-01-15T00:00:00Z'));
  change(revised, DealField.OWNER, String(alex.id), String(nora.id), at('2026-05-01T00:00:00Z'));
  change(revised, DealField.FORECAST_CATEGORY, 'SOMETHING_ELSE', ForecastCategory.BEST_CASE, at('2026-02-01T00:00:00Z'));
  change(revised, DealField.FORECAST_CATEGORY, ForecastCategory.BEST_CASE, ForecastCategory.COMMIT, CHANGED);
  const odd = deal('Odd dates', { openedAt: at('2026-01-01T00:00:00Z'), expectedCloseDate: at('2026-12-31T00:00:00Z') });
  move(odd, open[0], '2026-01-01T00:00:00Z');
  await em.flush();
  if (kind === 'postgresql') {
    // microseconds (PostgreSQL keeps them; the facts read them as fractional ms) and a far-future close date
    // (these microseconds are ones where date_part('epoch') * 1000 is not the exact float)
    await em.getConnection().execute(
      `update deals set opened_at = '2026-01-01 00:00:03.123567+00', created_at = '2026-01-01 00:00:08.123752+00', stage_entered_at = '1899-12-31 23:59:59.999999+00', expected_close_date = '9999-12-31 00:00:00.000001+00' where id = ${odd.id}`,
    );
    await em.getConnection().execute(`update deal_stage_changes set at = '2026-01-01 00:00:07.123715+00' where deal_id = ${odd.id}`);
  }
}

/** Every 3 weeks over the seeded history, around the edge deals' times, and exactly at (and next to) a change. */
function probeDates(): Date[] {
  const dates: number[] = [];
  for (let t = Date.parse('2024-01-01T00:00:00Z'); t < Date.parse('2027-06-01T00:00:00Z'); t += 21 * 86_400_000) dates.push(t);
  dates.push(CHANGED.getTime(), CHANGED.getTime() + 1, CHANGED.getTime() - 1, Date.parse('2026-02-01T00:00:00Z'), Date.parse('2026-06-01T00:00:00Z') + 1, Date.now() + 86_400_000);
  return dates.map((t) => new Date(t));
}

describe.each(DATABASES)('the fact source gives the as-of tables of the as-of SQL, column for column, on %s', (kind) => {
  let app: TestApp;
  const em = () => (app.orm.em as Em).fork() as Em;

  beforeAll(async () => {
    app = await createTestApp(kind, { db: await seededDatabase(kind, 'small') });
    await addEdgeDeals(em(), kind);
  }, 120_000);
  afterAll(async () => app?.close());

  it('derives every probed date from one load exactly as a fresh as-of load reads it', async () => {
    const { source } = await loadFactSource(em());
    expect(source.table.revisions!.n).toBeGreaterThan(10);
    const kinds = new Set<string>();
    for (const asOf of probeDates()) {
      const reference = await loadFactsReference(em(), asOf);
      const derived = factsAt(source, asOf.getTime());
      // a date after every recorded time (the edge deal opened 2027-03-01) reads the loaded table itself
      const itself = derived === source.table;
      expect(itself).toBe(asOf.getTime() > source.latest);
      kinds.add(itself ? 'itself' : 'derived');
      expect([asOf.toISOString(), difference(derived, reference)]).toEqual([asOf.toISOString(), null]);
    }
    expect(source.latest).toBe(Date.parse('2027-03-01T00:00:00Z'));
    expect([...kinds].sort()).toEqual(['derived', 'itself']);
  });

  it('reads the as-of values of the edge deals as the SQL did', async () => {
    const before = await loadFacts(em(), CHANGED);
    const after = await loadFacts(em(), new Date(CHANGED.getTime() + 1));
    const [revised] = await em().find(Deal, { name: 'Revised often' });
    const row = (t: FactTable) => Array.from(t.id).indexOf(revised.id);
    // a change exactly at asOf is not yet known; the amount's first change after 2026-03-10 has old value 3,000.00
    expect([before.amount[row(before)], before.expectedClose[row(before)], before.category[row(before)]]).toEqual([300_000, Date.parse('2026-06-30T00:00:00Z'), 2]);
    expect([after.amount[row(after)], after.expectedClose[row(after)], after.category[row(after)]]).toEqual([600_000, Date.parse('2026-09-30T00:00:00Z'), 1]);
    const names = async (t: FactTable) => (await em().find(Deal, { id: { $in: Array.from(t.id) } })).map((d) => d.name);
    expect(await names(before)).not.toContain('Lost with no date at all');
    expect(await names(before)).not.toContain('Opened in the future');
  });
});
