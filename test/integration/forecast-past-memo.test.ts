import type { Em } from '../../src/db/orm';
import { Deal } from '../../src/modules/deal/deal.entity';
import { FACT_TABLES, factSource } from '../../src/modules/forecast/fact-cache';
import type { FactSource } from '../../src/modules/forecast/fact-source';
import { loadFactSource } from '../../src/modules/forecast/facts.sql';
import { backtestFromSourceTask, forecastFromSourceTask } from '../../src/modules/forecast/forecast.task';
import { pastForecastMemoStats } from '../../src/modules/forecast/past-forecast-memo';
import { PipelineStage } from '../../src/modules/pipeline/stage.entity';
import { Rep } from '../../src/modules/rep/rep.entity';
import { DealStatus, RepRole } from '../../src/shared/enums';
import { parsePeriod, shiftPeriod } from '../../src/shared/period';
import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';
import { seededDatabase } from '../helpers/seeded-world';

/*
 * Past forecasts (a track record, a backtest) are kept across writes while the write leaves the view of their date
 * unchanged (past-forecast-memo.ts). After each kind of write made through GraphQL, the forecasts and the backtest
 * computed on the app's patched fact source (its lineage: past forecasts reused) equal those computed on a fresh
 * full load (a new lineage: everything computed), to the last digit; and some were reused. The computations run on
 * this thread, as a worker runs them, so the memo they use is the one counted here.
 */
const UPDATE = `mutation($id: ID!, $v: Int!, $input: UpdateDealInput!) { updateDeal(id: $id, version: $v, input: $input) { id } }`;
const MOVE = `mutation($input: MoveDealStageInput!) { moveDealStage(input: $input) { id } }`;
const CLOSE = `mutation($input: CloseDealInput!) { closeDeal(input: $input) { id } }`;
const CREATE = `mutation($input: CreateDealInput!) { createDeal(input: $input) { id } }`;

// as of a fixed time after every write below (a forecast as of "now" moves with the clock)
const AS_OF = Date.now() + 15 * 60_000;
const QUARTER = parsePeriod('2026-Q4');
const OPTIONS = { simulations: 300, seed: 3, topDeals: 5 };

describe.each(DATABASES)('past forecasts kept across writes on %s', (kind) => {
  let app: TestApp;
  let teamId: number;
  const em = () => app.orm.em.fork() as Em;

  /** The forecast page's heavy answers on a source: the company by team, one team, a backtest of four quarters. */
  function page(source: FactSource) {
    const forecast = (scope: { teamId?: number }, groupBy: 'TEAM' | 'COMPANY') =>
      forecastFromSourceTask({ source, factsAsOf: AS_OF, period: QUARTER, asOf: AS_OF, groupBy, scope, options: OPTIONS });
    const periods = [4, 3, 2, 1].map((k) => shiftPeriod(QUARTER, k));
    const backtest = backtestFromSourceTask({ source, factsAsOf: QUARTER.start, periods, scope: {}, options: OPTIONS });
    return { company: forecast({}, 'TEAM'), team: forecast({ teamId }, 'COMPANY'), backtest };
  }

  /** The page on the app's source equals the page on a fresh load; returns the memo's hits and misses on the former. */
  async function expectAsAfresh(): Promise<{ hits: number; misses: number }> {
    const source = await factSource(em());
    const before = { ...pastForecastMemoStats };
    const kept = page(source);
    const used = { hits: pastForecastMemoStats.hits - before.hits, misses: pastForecastMemoStats.misses - before.misses };
    const fresh = page((await loadFactSource(em(), { versionTables: FACT_TABLES })).source);
    expect(kept).toEqual(fresh);
    return used;
  }

  async function write(query: string, variables: Record<string, unknown>) {
    const res = await app.execute(query, variables);
    expect(res.errors).toBeUndefined();
  }

  beforeAll(async () => {
    app = await createTestApp(kind, { db: await seededDatabase(kind, 'standard') });
    teamId = (await em().find(Rep, { role: RepRole.AE }, { limit: 1, populate: ['team'] }))[0].team!.id;
  }, 120_000);
  afterAll(async () => app?.close());

  it('answers after each kind of write as computed afresh, reusing the past forecasts the write left alone', async () => {
    const first = await expectAsAfresh();
    expect(first.hits).toBe(0);
    const stages = await em().find(PipelineStage, {}, { orderBy: { position: 'asc' } });
    const open = await em().find(Deal, { status: DealStatus.OPEN }, { orderBy: { id: 'asc' }, limit: 40, populate: ['stage', 'owner'] });
    const ae = (await em().find(Rep, { role: RepRole.AE, active: true }, { orderBy: { id: 'desc' }, limit: 1 }))[0];

    // today's amount, owner and close date of an open deal
    const [a, b, c, d] = open;
    await write(UPDATE, { id: a.id, v: a.version, input: { amount: 99_999, ownerId: ae.id, expectedCloseDate: '2026-12-30T00:00:00Z' } });
    const afterUpdate = await expectAsAfresh();
    // every past view restores the old values: the track records and the backtest are all reused
    expect(afterUpdate).toEqual({ hits: first.misses, misses: 0 });

    // a stage move today, a new deal, and a deal won today
    const next = stages.find((s) => !s.isWon && !s.isLost && s.position > b.stage.position);
    await write(MOVE, { input: { dealId: b.id, stageId: next!.id, version: b.version } });
    await write(CREATE, { input: { accountId: '1', name: 'Kept apart', amount: 1_000, ownerId: ae.id } });
    await write(CLOSE, { input: { dealId: c.id, version: c.version, won: true } });
    expect(await expectAsAfresh()).toEqual({ hits: first.misses, misses: 0 });

    // a move dated months back: the past views after it change, and their forecasts are computed again
    const entered = (d.stageEnteredAt ?? d.openedAt ?? new Date('2026-01-01T00:00:00Z')).getTime();
    const back = new Date(Math.max(entered + 86_400_000, Date.parse('2026-03-02T00:00:00Z')));
    const later = stages.find((s) => !s.isWon && !s.isLost && s.position > d.stage.position);
    expect(later && back.getTime() < Date.now()).toBe(true);
    await write(MOVE, { input: { dealId: d.id, stageId: later!.id, version: d.version, at: back.toISOString() } });
    const afterBackdated = await expectAsAfresh();
    expect(afterBackdated.misses).toBeGreaterThan(0);
    expect(afterBackdated.hits).toBeGreaterThan(0); // the views before the move are kept
  }, 300_000);
});
