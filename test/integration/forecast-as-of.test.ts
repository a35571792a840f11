import { DATABASES, createTestApp, type TestApp } from '../helpers/databases';
import { createBasicWorld, type BasicWorld } from '../helpers/fixtures';
import type { Em } from '../../src/db/orm';
import { Deal } from '../../src/modules/deal/deal.entity';
import { ChangeSource, DealChange, DealField } from '../../src/modules/deal/deal-change.entity';
import { DealStageChange } from '../../src/modules/deal/stage-change.entity';
import { DealStatus } from '../../src/shared/enums';

/*
 * 20 closed deals of 1,000.00 (10 won) so the weights exist, and "Grown deal": opened 2025-12-01 for 1,000.00
 * expected to close 2026-02-15; on 2026-01-10 its amount became 4,000.00 and its close date 2026-01-20; won
 * 2026-01-20. A forecast as of 2026-01-01 must see 1,000.00 and 2026-02-15, not today's 4,000.00.
 */
const DAY = 86_400_000;
const FORECAST = `query($asOf: DateTimeISO) { forecast(period: "2026-Q1", asOf: $asOf, simulations: 500, seed: 3) {
  total { openPipeline closedWon openDeals topDeals { name amount } } } }`;

describe.each(DATABASES)('forecast as of a past date reads the deal field history on %s', (kind) => {
  let app: TestApp;
  let world: BasicWorld;

  beforeAll(async () => {
    app = await createTestApp(kind);
    world = await createBasicWorld(app.orm.em as Em);
    const em = (app.orm.em as Em).fork() as Em;
    const { Prospecting, Won, Lost } = world.stages;
    for (let k = 0; k < 20; k++) {
      const opened = Date.UTC(2025, 0, 1) + 7 * k * DAY;
      const won = k % 2 === 0;
      const deal = em.create(Deal, {
        name: `History ${k}`, owner: world.ae, account: world.account, amountCents: 100_000, stage: won ? Won : Lost,
        status: won ? DealStatus.WON : DealStatus.LOST, openedAt: new Date(opened), closedAt: new Date(opened + 10 * DAY), stageEnteredAt: new Date(opened + 10 * DAY),
      });
      em.create(DealStageChange, { deal, fromStage: null, toStage: Prospecting, at: new Date(opened) });
      em.create(DealStageChange, { deal, fromStage: Prospecting, toStage: won ? Won : Lost, at: new Date(opened + 10 * DAY) });
    }
    const grown = em.create(Deal, {
      name: 'Grown deal', owner: world.ae, account: world.account, amountCents: 400_000, stage: Won, status: DealStatus.WON,
      openedAt: new Date('2025-12-01T00:00:00Z'), closedAt: new Date('2026-01-20T00:00:00Z'), stageEnteredAt: new Date('2026-01-20T00:00:00Z'),
      expectedCloseDate: new Date('2026-01-20T00:00:00Z'),
    });
    em.create(DealStageChange, { deal: grown, fromStage: null, toStage: Prospecting, at: new Date('2025-12-01T00:00:00Z') });
    em.create(DealStageChange, { deal: grown, fromStage: Prospecting, toStage: Won, at: new Date('2026-01-20T00:00:00Z') });
    const at = new Date('2026-01-10T00:00:00Z');
    em.create(DealChange, { deal: grown, field: DealField.AMOUNT, oldValue: '100000', newValue: '400000', at, source: ChangeSource.API });
    em.create(DealChange, { deal: grown, field: DealField.EXPECTED_CLOSE_DATE, oldValue: '2026-02-15T00:00:00.000Z', newValue: '2026-01-20T00:00:00.000Z', at, source: ChangeSource.API });
    await em.flush();
  });
  afterAll(async () => app?.close());

  it('uses the amount known then for a past date, and today\'s once the change happened', async () => {
    const before = await app.execute<{ forecast: any }>(FORECAST, { asOf: '2026-01-01T00:00:00Z' });
    expect(before.errors).toBeUndefined();
    expect(before.data!.forecast.total).toMatchObject({ openPipeline: 1000, openDeals: 1, closedWon: 0, topDeals: [{ name: 'Grown deal', amount: 1000 }] });
    const between = await app.execute<{ forecast: any }>(FORECAST, { asOf: '2026-01-15T00:00:00Z' });
    expect(between.data!.forecast.total).toMatchObject({ openPipeline: 4000, openDeals: 1 });
    const after = await app.execute<{ forecast: any }>(FORECAST, { asOf: '2026-02-01T00:00:00Z' });
    expect(after.data!.forecast.total).toMatchObject({ openPipeline: 0, closedWon: 4000 });
  });

  it('uses the expected close date known then (the fixed-weight baseline of a backtest reads it)', async () => {
    const { loadFacts } = await import('../../src/modules/forecast/facts.sql');
    const em = (app.orm.em as Em).fork() as Em;
    const facts = async (asOf: string) => {
      const t = await loadFacts(em, new Date(asOf));
      const i = Array.from(t.id).indexOf((await em.findOneOrFail(Deal, { name: 'Grown deal' })).id);
      return { close: t.expectedClose[i], amount: t.amount[i] };
    };
    expect(await facts('2026-01-01T00:00:00Z')).toEqual({ close: Date.parse('2026-02-15T00:00:00Z'), amount: 100_000 });
    // like the stage history, what happened before asOf is known: a change exactly at asOf is not yet
    expect(await facts('2026-01-10T00:00:00Z')).toEqual({ close: Date.parse('2026-02-15T00:00:00Z'), amount: 100_000 });
    expect(await facts('2026-01-10T00:00:01Z')).toEqual({ close: Date.parse('2026-01-20T00:00:00Z'), amount: 400_000 });
  });
});
