import seedrandom from 'seedrandom';
import type { Em } from '../../src/db/orm';
import { Activity } from '../../src/modules/activity/activity.entity';
import { Deal } from '../../src/modules/deal/deal.entity';
import { DealStageChange } from '../../src/modules/deal/stage-change.entity';
import { Lead } from '../../src/modules/lead/lead.entity';
import { Rep } from '../../src/modules/rep/rep.entity';
import { Team } from '../../src/modules/team/team.entity';
import { ActivityOutcome, ActivityType, DealStatus, LeadStatus, RepRole } from '../../src/shared/enums';
import { createBasicWorld, type BasicWorld } from './fixtures';

const DAY = 86_400_000;

/** Conversion model of the fixture leads: Referral +1.6, Paid Ads −1.2, need +1.2, log-visits +0.5, intercept −2. */
export const FIXTURE_LEAD_MODEL = { intercept: -2, source: { Referral: 1.6, Organic: 0, 'Paid Ads': -1.2 } as Record<string, number>, need: 1.2, logVisits: 0.5 };

export interface ScoringWorld extends BasicWorld {
  sdr2: Rep;
  openLeadIds: number[];
}

/**
 * A small company history for scoring tests: `closedLeads` leads converted or disqualified by the fixture model
 * (messy attributes: case duplicates, "Select", numbers as text, a constant column), 40 open leads split
 * between two SDRs, and `closedDeals` won/lost deals (small deals win more) with stage histories plus 10 open.
 */
export async function createScoringWorld(
  rootEm: Em,
  options: { closedLeads: number; closedDeals: number; seed?: string; idOffset?: number; world?: ScoringWorld },
): Promise<ScoringWorld> {
  const em = rootEm.fork() as Em;
  let basic: BasicWorld;
  let sdr2: Rep;
  if (options.world) {
    basic = options.world;
    sdr2 = options.world.sdr2;
  } else {
    basic = await createBasicWorld(rootEm);
    sdr2 = em.create(Rep, { name: 'Sue Dialer', email: 'sue@example.com', role: RepRole.SDR, team: em.getReference(Team, basic.team.id), hiredAt: new Date('2023-01-02T00:00:00Z'), active: true });
    await em.flush();
  }
  const offset = options.idOffset ?? 0;
  const rng = seedrandom(options.seed ?? 'scoring-world');
  const start = Date.UTC(2025, 0, 1);
  const sources = ['Referral', 'Organic', 'Paid Ads'];
  const leadRows: Array<Record<string, unknown>> = [];
  const activityRows: Array<Record<string, unknown>> = [];
  const total = options.closedLeads + 40;
  for (let i = 0; i < total; i++) {
    const open = i >= options.closedLeads;
    const source = sources[Math.floor(rng() * 3)];
    const visits = Math.floor(rng() * 15);
    const need = rng() < 0.5;
    const z = FIXTURE_LEAD_MODEL.intercept + FIXTURE_LEAD_MODEL.source[source] + (need ? FIXTURE_LEAD_MODEL.need : 0) + FIXTURE_LEAD_MODEL.logVisits * Math.log1p(visits);
    const converted = rng() < 1 / (1 + Math.exp(-z));
    const createdAt = new Date(start + (offset ? 100 * DAY : 0) + i * 0.4 * DAY);
    leadRows.push({
      id: 100_000 + offset + i,
      name: `Lead ${i}`,
      source: i % 9 === 0 ? source.toUpperCase() : source,
      status: open ? (i % 2 ? LeadStatus.NEW : LeadStatus.CONTACTED) : converted ? LeadStatus.CONVERTED : LeadStatus.DISQUALIFIED,
      owner: open && i % 2 ? sdr2.id : basic.sdr.id,
      account: basic.account.id,
      hasNeed: need,
      attributes: { 'Total Visits': i % 11 === 0 ? 'Select' : String(visits), Occupation: i % 3 === 0 ? 'student' : 'Student', Newsletter: 'No' },
      createdAt,
      updatedAt: createdAt,
      closedAt: open ? null : new Date(createdAt.getTime() + 5 * DAY),
      version: 1,
    });
    if (i % 2 === 0) activityRows.push({ type: ActivityType.CALL, rep: basic.sdr.id, lead: 100_000 + offset + i, at: new Date(createdAt.getTime() + DAY), outcome: ActivityOutcome.CONNECTED, createdAt, updatedAt: createdAt });
  }
  await em.insertMany(Lead, leadRows as never[]);
  await em.insertMany(Activity, activityRows as never[]);

  const stages = basic.stages;
  const openStages = ['Prospecting', 'Qualification', 'Discovery/Demo', 'Proposal', 'Negotiation'];
  const dealRows: Array<Record<string, unknown>> = [];
  const changeRows: Array<Record<string, unknown>> = [];
  for (let i = 0; i < options.closedDeals + 10; i++) {
    const open = i >= options.closedDeals;
    const small = rng() < 0.5;
    const won = rng() < (small ? 0.7 : 0.3);
    const openedAt = start + (offset ? 100 * DAY : 0) + i * 0.8 * DAY;
    const reached = won ? 5 : 1 + Math.floor(rng() * 5);
    const id = 200_000 + offset + i;
    let at = openedAt;
    let stage = stages.Prospecting;
    for (let s = 0; s < (open ? 2 : reached); s++) {
      stage = stages[openStages[s]];
      changeRows.push({ deal: id, fromStage: s ? stages[openStages[s - 1]].id : null, toStage: stage.id, at: new Date(at), inferred: false, createdAt: new Date(at), updatedAt: new Date(at) });
      at += 6 * DAY;
    }
    const closedAt = open ? null : at;
    if (!open) changeRows.push({ deal: id, fromStage: stage.id, toStage: (won ? stages.Won : stages.Lost).id, at: new Date(at), inferred: false, createdAt: new Date(at), updatedAt: new Date(at) });
    dealRows.push({
      id,
      name: `Deal ${i}`,
      account: basic.account.id,
      owner: basic.ae.id,
      product: basic.product.id,
      amountCents: (small ? 5_000 : 80_000) * 100,
      currency: 'EUR',
      stage: open ? stage.id : (won ? stages.Won : stages.Lost).id,
      status: open ? DealStatus.OPEN : won ? DealStatus.WON : DealStatus.LOST,
      openedAt: new Date(openedAt),
      closedAt: closedAt == null ? null : new Date(closedAt),
      stageEnteredAt: new Date(open ? at - 6 * DAY : at),
      source: 'Referral',
      createdAt: new Date(openedAt),
      updatedAt: new Date(openedAt),
      version: 1,
    });
  }
  await em.insertMany(Deal, dealRows as never[]);
  await em.insertMany(DealStageChange, changeRows as never[]);
  const openLeadIds = leadRows.filter((r) => r.status === LeadStatus.NEW || r.status === LeadStatus.CONTACTED).map((r) => r.id as number);
  return { ...basic, sdr2, openLeadIds };
}
