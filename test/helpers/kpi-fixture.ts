import type { Em } from '../../src/db/orm';
import { AccountSegment, ActivityOutcome, ActivityType, DealStatus, LeadStatus, RepRole, SpendCategory, TargetScope } from '../../src/shared/enums';
import { Account } from '../../src/modules/account/account.entity';
import { Activity } from '../../src/modules/activity/activity.entity';
import { Deal } from '../../src/modules/deal/deal.entity';
import { DealStageChange } from '../../src/modules/deal/stage-change.entity';
import { Lead } from '../../src/modules/lead/lead.entity';
import { Order } from '../../src/modules/order/order.entity';
import { Product } from '../../src/modules/product/product.entity';
import { Rep } from '../../src/modules/rep/rep.entity';
import { Spend } from '../../src/modules/spend/spend.entity';
import { Target } from '../../src/modules/targets/target.entity';
import { Team } from '../../src/modules/team/team.entity';
import { createBasicWorld, type BasicWorld } from './fixtures';

/**
 * "Q1 2026", the KPI fixture: a world small enough that every KPI can be computed by hand (the expected
 * values live in test/integration/kpi.test.ts with their arithmetic). All dates UTC.
 *
 * Teams: EMEA Mid-Market (Mia manager, Alex AE, Sam SDR), NA Enterprise (Nina AE).
 * Deals (amount EUR, source, opened -> closed, history):
 *   D1 Alex Acme Pro 10,000 Referral  01-05 won 02-04  P 01-05, Q 01-10, D 01-20, Pr 01-25, N 01-30, Won 02-04
 *   D2 Alex Globex Pro 20,000 Paid Ads 01-10 won 03-11 P 01-10, Q 01-20, D 02-01, Pr 02-15, N 03-01, Won 03-11
 *   D3 Alex Acme Lite 5,000 Referral   01-15 lost 02-14 (price)   P 01-15, Q 01-25, Lost 02-14
 *   D4 Nina Globex Pro 8,000 Webinar   02-01 lost 03-03 (timing)  P 02-01, Q 02-11, D 02-21, Lost 03-03
 *   D5 Nina Globex Lite 4,000 Webinar  02-10 open in Proposal     P 02-10, Q 02-15, D 02-18, Pr 02-20
 *   D6 Alex Acme Pro 6,000 Referral    03-01 open in Prospecting  P 03-01
 *   D7 Alex Acme Pro 12,000 Referral   2025-10-01 won 2025-11-30  P 10-01, Won 11-30
 *   D8 Nina Globex Pro 3,000 Paid Ads  2025-10-15 lost 2025-12-15 (competitor) P 10-15, Lost 12-15
 * Leads (owner Sam): L1 Referral, L2 Paid Ads, L3 Paid Ads, L4 Webinar, L5 Webinar (Q1), L0 Referral (Dec 2025).
 * Orders: Acme 2025-06-01 5,000/2,000, 2025-11-30 12,000/3,000, 2026-02-04 10,000/2,500, 2026-03-20 2,000/1,000;
 *   Globex 2026-03-11 20,000/5,000; Initech 2025-03-01 4,000/1,000; Umbrella 2025-02-01, 05-01, 08-01 3,000/1,000.
 * Spend: SALES 9,000 over Q1; MARKETING 1,000 in each month of Q1 (Referral, Paid Ads, Webinar).
 * Targets Q1: revenue COMPANY 60,000, TEAM EMEA 40,000, REP Alex 40,000; winRate COMPANY 0.3.
 */
export interface KpiWorld extends BasicWorld {
  na: Team;
  nina: Rep;
  globex: Account;
  initech: Account;
  umbrella: Account;
  lite: Product;
  deals: Record<string, Deal>;
  leads: Record<string, Lead>;
}

const at = (iso: string) => new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);

export async function createKpiWorld(rootEm: Em): Promise<KpiWorld> {
  const basic = await createBasicWorld(rootEm);
  const em = rootEm.fork() as Em;
  const s = basic.stages;
  const P = s.Prospecting, Q = s.Qualification, D = s['Discovery/Demo'], Pr = s.Proposal, N = s.Negotiation, W = s.Won, L = s.Lost;
  const team = em.getReference(Team, basic.team.id);
  const alex = em.getReference(Rep, basic.ae.id);
  const sam = em.getReference(Rep, basic.sdr.id);
  const acme = em.getReference(Account, basic.account.id);
  const pro = em.getReference(Product, basic.product.id);

  const na = em.create(Team, { name: 'NA Enterprise', region: 'NA' });
  const nina = em.create(Rep, { name: 'Nina Seller', email: 'nina@example.com', role: RepRole.AE, team: na, hiredAt: at('2024-07-01'), active: true });
  const globex = em.create(Account, { name: 'Globex', sector: 'Software', country: 'US', employees: 1200, segment: AccountSegment.A });
  const initech = em.create(Account, { name: 'Initech', sector: 'Software', country: 'US', employees: 80, segment: AccountSegment.C });
  const umbrella = em.create(Account, { name: 'Umbrella', sector: 'Pharma', country: 'DE', employees: 400, segment: AccountSegment.C });
  const lite = em.create(Product, { name: 'Pipewise Lite', family: 'Add-on', listPriceCents: 500_000, unitCostCents: 250_000 });

  type Step = [typeof P, string];
  const deal = (name: string, owner: Rep, account: Account, product: Product, amount: number, source: string, history: Step[], lossReason?: string) => {
    const first = history[0][1];
    const [lastStage, lastAt] = history[history.length - 1];
    const status = lastStage.isWon ? DealStatus.WON : lastStage.isLost ? DealStatus.LOST : DealStatus.OPEN;
    const d = em.create(Deal, {
      name,
      owner,
      account,
      product,
      amountCents: amount * 100,
      source,
      stage: lastStage,
      status,
      openedAt: at(first),
      engagedAt: at(first),
      closedAt: status === DealStatus.OPEN ? null : at(lastAt),
      stageEnteredAt: at(lastAt),
      lossReason: lossReason ?? null,
      createdAt: at(first),
    } as never);
    history.forEach(([stage, when], i) =>
      em.create(DealStageChange, { deal: d, fromStage: i === 0 ? null : history[i - 1][0], toStage: stage, at: at(when), by: owner }),
    );
    return d;
  };
  const deals = {
    D1: deal('D1', alex, acme, pro, 10_000, 'Referral', [[P, '2026-01-05'], [Q, '2026-01-10'], [D, '2026-01-20'], [Pr, '2026-01-25'], [N, '2026-01-30'], [W, '2026-02-04']]),
    D2: deal('D2', alex, globex, pro, 20_000, 'Paid Ads', [[P, '2026-01-10'], [Q, '2026-01-20'], [D, '2026-02-01'], [Pr, '2026-02-15'], [N, '2026-03-01'], [W, '2026-03-11']]),
    D3: deal('D3', alex, acme, lite, 5_000, 'Referral', [[P, '2026-01-15'], [Q, '2026-01-25'], [L, '2026-02-14']], 'price'),
    D4: deal('D4', nina, globex, pro, 8_000, 'Webinar', [[P, '2026-02-01'], [Q, '2026-02-11'], [D, '2026-02-21'], [L, '2026-03-03']], 'timing'),
    D5: deal('D5', nina, globex, lite, 4_000, 'Webinar', [[P, '2026-02-10'], [Q, '2026-02-15'], [D, '2026-02-18'], [Pr, '2026-02-20']]),
    D6: deal('D6', alex, acme, pro, 6_000, 'Referral', [[P, '2026-03-01']]),
    D7: deal('D7', alex, acme, pro, 12_000, 'Referral', [[P, '2025-10-01'], [W, '2025-11-30']]),
    D8: deal('D8', nina, globex, pro, 3_000, 'Paid Ads', [[P, '2025-10-15'], [L, '2025-12-15']], 'competitor'),
  };

  const lead = (name: string, source: string, created: string, f: Partial<Lead>) =>
    em.create(Lead, { name, source, owner: sam, account: acme, createdAt: at(created), attributes: {}, status: LeadStatus.NEW, ...f } as never);
  const leads = {
    L1: lead('L1', 'Referral', '2026-01-02', { mqlAt: at('2026-01-02'), firstContactedAt: at('2026-01-03'), sqlAt: at('2026-01-08'), convertedDeal: deals.D1, status: LeadStatus.CONVERTED, closedAt: at('2026-01-05') }),
    L2: lead('L2', 'Paid Ads', '2026-01-03', { mqlAt: at('2026-01-03'), firstContactedAt: at('2026-01-04'), sqlAt: at('2026-01-09'), convertedDeal: deals.D2, status: LeadStatus.CONVERTED, closedAt: at('2026-01-10') }),
    L3: lead('L3', 'Paid Ads', '2026-01-04', { firstContactedAt: at('2026-01-05T12:00:00Z'), status: LeadStatus.CONTACTED }),
    L4: lead('L4', 'Webinar', '2026-01-31', { mqlAt: at('2026-02-01'), firstContactedAt: at('2026-02-01'), status: LeadStatus.DISQUALIFIED, closedAt: at('2026-02-10') }),
    L5: lead('L5', 'Webinar', '2026-02-15', {}),
    L0: lead('L0', 'Referral', '2025-12-01', { firstContactedAt: at('2025-12-20'), status: LeadStatus.CONTACTED }),
  };

  const activity = (type: ActivityType, rep: Rep, when: string, outcome: ActivityOutcome, target: { lead?: Lead; deal?: Deal }) =>
    em.create(Activity, { type, rep, at: at(when), outcome, ...target } as never);
  activity(ActivityType.CALL, sam, '2026-01-03', ActivityOutcome.CONNECTED, { lead: leads.L1 });
  activity(ActivityType.EMAIL, sam, '2026-01-04', ActivityOutcome.REPLIED, { lead: leads.L2 });
  activity(ActivityType.CALL, sam, '2026-01-05T12:00:00Z', ActivityOutcome.NO_ANSWER, { lead: leads.L3 });
  activity(ActivityType.CALL, sam, '2026-01-06', ActivityOutcome.MEETING_BOOKED, { lead: leads.L1 });
  activity(ActivityType.EMAIL, sam, '2026-02-01', ActivityOutcome.NONE, { lead: leads.L4 });
  activity(ActivityType.MEETING, alex, '2026-01-12', ActivityOutcome.COMPLETED, { deal: deals.D1 });
  activity(ActivityType.DEMO, alex, '2026-02-05', ActivityOutcome.COMPLETED, { deal: deals.D2 });
  activity(ActivityType.NOTE, alex, '2026-02-06', ActivityOutcome.NONE, { deal: deals.D2 });
  activity(ActivityType.CALL, nina, '2026-02-12', ActivityOutcome.CONNECTED, { deal: deals.D4 });
  activity(ActivityType.CALL, sam, '2025-12-20', ActivityOutcome.NO_ANSWER, { lead: leads.L0 });

  const order = (account: Account, when: string, amount: number, cost: number, d?: Deal, product: Product = pro) =>
    em.create(Order, { account, product, deal: d ?? null, amountCents: amount * 100, costCents: cost * 100, orderedAt: at(when) });
  order(acme, '2025-06-01', 5_000, 2_000);
  order(acme, '2025-11-30', 12_000, 3_000, deals.D7);
  order(acme, '2026-02-04', 10_000, 2_500, deals.D1);
  order(acme, '2026-03-20', 2_000, 1_000, undefined, lite);
  order(globex, '2026-03-11', 20_000, 5_000, deals.D2);
  order(initech, '2025-03-01', 4_000, 1_000);
  for (const when of ['2025-02-01', '2025-05-01', '2025-08-01']) order(umbrella, when, 3_000, 1_000);

  em.create(Spend, { periodStart: at('2026-01-01'), periodEnd: at('2026-04-01'), category: SpendCategory.SALES, amountCents: 900_000 });
  (
    [
      ['2026-01-01', '2026-02-01', 'Referral'],
      ['2026-02-01', '2026-03-01', 'Paid Ads'],
      ['2026-03-01', '2026-04-01', 'Webinar'],
    ] as const
  ).forEach(([from, to, channel]) =>
    em.create(Spend, { periodStart: at(from), periodEnd: at(to), category: SpendCategory.MARKETING, channel, amountCents: 100_000 }),
  );

  const q1 = { periodStart: at('2026-01-01'), periodEnd: at('2026-04-01') };
  em.create(Target, { kpiKey: 'revenue', scope: TargetScope.COMPANY, value: 60_000, ...q1 } as never);
  em.create(Target, { kpiKey: 'revenue', scope: TargetScope.TEAM, team, value: 40_000, ...q1 } as never);
  em.create(Target, { kpiKey: 'revenue', scope: TargetScope.REP, rep: alex, value: 40_000, ...q1 } as never);
  em.create(Target, { kpiKey: 'winRate', scope: TargetScope.COMPANY, value: 0.3, ...q1 } as never);
  await em.flush();
  return { ...basic, na, nina, globex, initech, umbrella, lite, deals, leads };
}
