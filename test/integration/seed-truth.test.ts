import { DATABASES, type TestApp } from '../helpers/databases';
import { SEEDED_WORLDS, createSeededTestApp } from '../helpers/seeded-world';
import { CHANNELS, WORLD_TRUTH, channelConversion, repSkills } from '../../seeds';

/** The generator's known truth is recoverable from the rows, within binomial standard errors (fixed seed). */
const WORLD = SEEDED_WORLDS.standard;
const END = WORLD.end;
const DAY = 86_400_000;
/** Epoch ms from either platform's datetime (SQLite: integer ms; PostgreSQL: Date, or an ISO string through the ORM). */
const ms = (v: unknown): number => (v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : Number(v));
/** |observed - expected| may reach 4 binomial standard errors. */
const tolerance = (p: number, n: number) => 4 * Math.sqrt((p * (1 - p)) / n);

describe.each(DATABASES)('seeded truth recovered on %s', (kind) => {
  let app: TestApp;
  const rows = async (sql: string): Promise<Array<Record<string, unknown>>> => app.orm.em.getConnection().execute(sql);

  beforeAll(async () => {
    app = await createSeededTestApp(kind, 'standard');
  });
  afterAll(async () => app?.close());

  it('per-channel lead conversion matches the truth and its order', async () => {
    const cutoff = END.getTime() - 120 * DAY; // leads old enough to be decided
    const leads = await rows('select source, status, created_at from leads');
    const tally = new Map<string, { n: number; converted: number }>();
    for (const l of leads) {
      if (ms(l.created_at) >= cutoff) continue;
      const t = tally.get(l.source as string) ?? { n: 0, converted: 0 };
      t.n++;
      if (l.status === 'CONVERTED') t.converted++;
      tally.set(l.source as string, t);
    }
    const truth = channelConversion();
    const observed: Record<string, number> = {};
    for (const channel of CHANNELS) {
      const { n, converted } = tally.get(channel)!;
      observed[channel] = converted / n;
      expect(Math.abs(observed[channel] - truth[channel])).toBeLessThan(tolerance(truth[channel], n));
    }
    expect(observed.Referral).toBeGreaterThan(observed.Partner);
    expect(observed.Partner).toBeGreaterThan(observed.Organic);
    expect(observed.Organic).toBeGreaterThan(observed.Outbound);
    expect(observed.Outbound).toBeGreaterThan(observed['Paid Ads']);
  });

  it('bunches wins in the last weeks of the quarter, not losses', async () => {
    const deals = await rows(`select status, closed_at from deals where status in ('WON', 'LOST')`);
    const inLastWeeks = (t: number) => {
      const d = new Date(t);
      const next = Date.UTC(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3) * 3 + 3, 1);
      return next - t <= WORLD_TRUTH.seasonality.lastWeeks * 7 * DAY;
    };
    const share = (status: string) => {
      const list = deals.filter((d) => d.status === status);
      return { p: list.filter((d) => inLastWeeks(ms(d.closed_at))).length / list.length, n: list.length };
    };
    // 21 of ~91.3 days: 0.23 without the effect; with it 0.23 + 0.3 x 0.77 = 0.46.
    const base = 21 / 91.3;
    const expected = base + WORLD_TRUTH.seasonality.pushProbability * (1 - base);
    const won = share('WON');
    const lost = share('LOST');
    expect(Math.abs(won.p - expected)).toBeLessThan(tolerance(expected, won.n));
    expect(Math.abs(lost.p - base)).toBeLessThan(tolerance(base, lost.n));
  });

  it('skilled reps and small deals win more often; repeat orders follow segment churn', async () => {
    const skills = await repSkills(WORLD);
    const aes = skills.filter((r) => r.role === 'AE').sort((a, b) => a.skill - b.skill);
    const top = new Set(aes.slice(Math.ceil(aes.length / 2)).map((r) => r.id));
    const closed = await rows(`select owner_id, status, amount_cents from deals where status in ('WON', 'LOST')`);
    const rate = (keep: (d: Record<string, unknown>) => boolean) => {
      const list = closed.filter(keep);
      return list.filter((d) => d.status === 'WON').length / list.length;
    };
    expect(rate((d) => top.has(d.owner_id as number))).toBeGreaterThan(rate((d) => !top.has(d.owner_id as number)));
    const { smallBelow, largeFrom } = WORLD_TRUTH.dealWinDrivers.amountBandLimits;
    expect(rate((d) => Number(d.amount_cents) < smallBelow * 100)).toBeGreaterThan(rate((d) => Number(d.amount_cents) >= largeFrom * 100));

    // A deal won more than a year before END reorders at least once unless the account churned first.
    const won = await rows(
      `select a.segment, (select count(*) from orders o where o.account_id = d.account_id and o.deal_id is null and o.ordered_at > d.closed_at) as repeats
         from deals d join accounts a on a.id = d.account_id where d.status = 'WON' and d.closed_at < ${kind === 'sqlite' ? END.getTime() - 400 * DAY : `'${new Date(END.getTime() - 400 * DAY).toISOString()}'`}`,
    );
    for (const segment of ['A', 'C'] as const) {
      const list = won.filter((w) => w.segment === segment);
      const reordered = list.filter((w) => Number(w.repeats) > 0).length / list.length;
      // At least (1 - churn); other won deals of the same account can only add repeat orders.
      expect(reordered).toBeGreaterThan(1 - WORLD_TRUTH.repurchase[segment].churnPerReorder - tolerance(0.5, list.length));
    }
  });
});
