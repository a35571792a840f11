import { Choice, Rng } from './random';
import { DEAL_NOTES, JOB_TITLES, accountName, personName } from './names';
import { conversionProbability, drawSegment, sampleLeadFeatures, type LeadFeatures } from './lead-sampler';
import { LOSS_REASONS, OPEN_STAGES, SEGMENTS, WORLD_TRUTH, advanceProbability, amountBand, dealShift, type Segment } from './truth';
import { TableBuffer } from './sink';
import { TABLES } from './tables';
import { repAt, type RepInfo, type World } from './world';

export const DAY = 86_400_000;
const T = WORLD_TRUTH;

/** Stage ids by position: 0..4 open stages, 5 Won, 6 Lost. */
export type StageIds = number[];

/** Running totals the spend and target rows are derived from once all deals exist. */
export class Tallies {
  /** Leads created per `${monthKey}|${channel}`. */
  leadsByMonthChannel = new Map<string, number>();
  /** Won revenue (EUR) per month key, team-quarter and rep-quarter. */
  wonByMonth = new Map<string, number>();
  wonByTeamQuarter = new Map<string, number>();
  /** Activity counts per `${repId}|${quarter}|${kind}` for kind 'calls' | 'meetings'. */
  activityByRepQuarter = new Map<string, number>();
}

export const monthKey = (t: number) => {
  const d = new Date(t);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
};
export const quarterKey = (t: number) => {
  const d = new Date(t);
  return d.getUTCFullYear() * 4 + Math.floor(d.getUTCMonth() / 3);
};
/** Epoch ms of the first instant of quarter key q. */
export const quarterStart = (q: number) => Date.UTC(Math.floor(q / 4), (q % 4) * 3, 1);

const bump = (map: Map<string | number, number>, key: string | number, by = 1) => map.set(key, (map.get(key) ?? 0) + by);

export interface StoryBuffers {
  leads: TableBuffer;
  deals: TableBuffer;
  stageChanges: TableBuffer;
  activities: TableBuffer;
  orders: TableBuffer;
}

export const newStoryBuffers = (): StoryBuffers => ({
  leads: new TableBuffer(TABLES.leads),
  deals: new TableBuffer(TABLES.deals),
  stageChanges: new TableBuffer(TABLES.stageChanges),
  activities: new TableBuffer(TABLES.activities),
  orders: new TableBuffer(TABLES.orders),
});

const productChoice = Object.fromEntries(
  SEGMENTS.map((s) => [s, new Choice(T.products.map((_, i) => i), T.dealAmount.productWeights[s])]),
) as Record<Segment, Choice<number>>;
const lossReasonChoice = OPEN_STAGES.map((s) => new Choice(LOSS_REASONS, T.lossReasonWeights[s]));
const INBOUND_MQL = new Set(['Referral', 'Partner', 'Event', 'Webinar']);

/**
 * Writes one deal "slot": leads drawn until one converts, the converted lead's deal with its stage history,
 * activities and orders. Tail slots (after `end`) only contribute leads created before `end`, still open.
 */
export class StoryWriter {
  private leadSeq = 0;
  private dealSeq = 0;
  private changeSeq = 0;
  private activitySeq = 0;
  private orderSeq = 0;
  /** Mean Poisson rate of deal activities (before the stages-reached factor). */
  private readonly dealActivityRate: number;

  constructor(
    private readonly rng: Rng,
    private readonly world: World,
    private readonly stages: StageIds,
    readonly buffers: StoryBuffers,
    readonly tallies: Tallies,
    activitiesPerDeal: number,
    expectedLeadsPerDeal: number,
    /** When foreign keys are checked row by row, leads are written without converted_deal_id (linked afterwards). */
    private readonly linkLeadsLater: boolean,
  ) {
    const neverContacted = T.leadTimeline.neverContacted;
    const leadActivitiesPerDeal = (expectedLeadsPerDeal - 1) * (1 - neverContacted) + 2;
    this.dealActivityRate = Math.max(T.activities.minPerDeal, activitiesPerDeal - leadActivitiesPerDeal);
  }

  get counts() {
    return { leads: this.leadSeq, deals: this.dealSeq, stageChanges: this.changeSeq, activities: this.activitySeq, orders: this.orderSeq };
  }

  /** One slot whose converted lead becomes a deal opened at `openedAt` (or stays an open lead when `tail`). */
  slot(openedAt: number, tail: boolean): void {
    const rng = this.rng;
    const end = this.world.end;
    for (;;) {
      const segment = drawSegment(rng);
      const f = sampleLeadFeatures(rng, undefined, segment);
      const converted = rng.float() < conversionProbability(f);
      const accounts = this.world.accountsBySegment[segment];
      const account = accounts[Math.floor(rng.float() * accounts.length)];
      const team = this.world.teams[this.world.accountTeam[account]];
      const tl = T.leadTimeline;
      if (converted) {
        const sqlAt = openedAt - rng.lognormal(tl.sqlToConvertDays.median, tl.sqlToConvertDays.sigma) * DAY;
        const firstContact = sqlAt - rng.lognormal(tl.toSqlDays.median, tl.toSqlDays.sigma) * DAY;
        const createdAt = firstContact - rng.lognormal(tl.firstContactDays.median, tl.firstContactDays.sigma) * DAY;
        if (createdAt > end) return;
        const sdr = repAt(rng, team.sdrs, createdAt);
        const leadId = ++this.leadSeq;
        const dealId = tail ? null : this.dealSeq + 1;
        this.lead(leadId, f, account, sdr, createdAt, firstContact, sqlAt, openedAt, dealId, null);
        if (dealId !== null) this.deal(dealId, leadId, f, account, team.aes, openedAt, sqlAt);
        return;
      }
      const createdAt = openedAt - rng.uniform(0, 21) * DAY;
      const firstContact = rng.chance(tl.neverContacted) ? null : createdAt + rng.lognormal(tl.firstContactDays.median, tl.firstContactDays.sigma) * DAY;
      const sqlAt = firstContact !== null && rng.chance(tl.qualifiedThenDropped) ? firstContact + rng.lognormal(tl.toSqlDays.median, tl.toSqlDays.sigma) * DAY : null;
      const closedAt = (sqlAt ?? firstContact ?? createdAt) + rng.lognormal(tl.toDisqualifyDays.median, tl.toDisqualifyDays.sigma) * DAY;
      const reason = rng.pick(tl.disqualificationReasons);
      if (createdAt > end) continue;
      const sdr = repAt(rng, team.sdrs, createdAt);
      this.lead(++this.leadSeq, f, account, sdr, createdAt, firstContact, sqlAt, closedAt, null, reason);
    }
  }

  private lead(
    id: number, f: LeadFeatures, account: number, sdr: RepInfo, createdAt: number, firstContact: number | null, sqlAt: number | null,
    closedAt: number, dealId: number | null, disqualification: string | null,
  ): void {
    const rng = this.rng;
    const end = this.world.end;
    const known = (t: number | null) => (t !== null && t <= end ? t : null);
    const contacted = known(firstContact);
    const qualified = known(sqlAt);
    const closed = known(closedAt);
    const status = closed !== null ? (disqualification ? 'DISQUALIFIED' : 'CONVERTED') : qualified !== null ? 'QUALIFIED' : contacted !== null ? 'CONTACTED' : 'NEW';
    const missing = T.leadModel.missingRate;
    const mask = <V>(field: keyof typeof missing, value: V): V | null => (rng.chance(missing[field]) ? null : value);
    const attributes = {
      'Total Visits': mask('Total Visits', f.totalVisits),
      'Time On Site': mask('Time On Site', f.timeOnSiteSeconds),
      'Page Views Per Visit': mask('Page Views Per Visit', f.pageViewsPerVisit),
      Occupation: mask('Occupation', f.occupation),
      'Lead Origin': f.leadOrigin,
      Newsletter: 'No',
      'Random Score': rng.int(0, 100),
    };
    const nameIndex = rng.int(0, 1_599);
    const name = personName(nameIndex);
    const company = accountName(account - 1);
    const email = `${name.toLowerCase().replace(/[^a-z]+/g, '.')}@${company.toLowerCase().replace(/[^a-z0-9]+/g, '')}.example`;
    const mql = f.source === 'Outbound' ? qualified : INBOUND_MQL.has(f.source) || f.totalVisits > 0 ? createdAt : null;
    // BANT is learnt once the lead is contacted.
    const bant = contacted !== null;
    const budget = bant && f.hasBudget ? Math.round(rng.lognormal(f.segment === 'A' ? 80_000 : f.segment === 'B' ? 25_000 : 8_000, 0.6)) * 100 : null;
    const updated = closed ?? qualified ?? contacted ?? createdAt;
    this.buffers.leads.push([
      id, new Date(createdAt), new Date(updated), name, email, `+${rng.int(1, 99)} ${rng.int(100, 999)} ${rng.int(100_000, 999_999)}`,
      rng.pick(JOB_TITLES), company, account, f.source, status, sdr.id, mql === null ? null : new Date(mql),
      qualified === null ? null : new Date(qualified), contacted === null ? null : new Date(contacted), closed === null ? null : new Date(closed),
      status === 'DISQUALIFIED' ? disqualification : null, budget, bant ? f.hasAuthority : null, bant ? f.hasNeed : null,
      bant ? f.timelineMonths : null, dealId !== null && !this.linkLeadsLater ? dealId : null, attributes, 1,
    ]);
    const month = monthKey(createdAt);
    bump(this.tallies.leadsByMonthChannel, `${month}|${f.source}`);
    if (contacted !== null) {
      const replied = rng.chance(dealId !== null ? 0.8 : 0.35);
      const call = rng.chance(0.6);
      this.activity(call ? 'CALL' : 'EMAIL', sdr, id, null, contacted, call ? (replied ? 'CONNECTED' : 'NO_ANSWER') : replied ? 'REPLIED' : 'NONE', null);
    }
    if (dealId !== null && qualified !== null) this.activity('CALL', sdr, id, null, qualified, 'MEETING_BOOKED', 'Qualification call: meeting booked');
  }

  private deal(id: number, leadId: number, f: LeadFeatures, account: number, aes: RepInfo[], openedAt: number, engagedAt: number): void {
    const rng = this.rng;
    const end = this.world.end;
    const owner = repAt(rng, aes, openedAt);
    const segment = f.segment;
    const product = this.world.products[productChoice[segment].draw(rng)];
    const quantity = Math.max(1, Math.round(rng.lognormal(T.dealAmount.quantityMedian[segment], T.dealAmount.quantitySigma)));
    const discount = rng.uniform(0, T.dealAmount.maxDiscount);
    const amount = Math.max(100, Math.round(product.listPrice * quantity * (1 - discount)));
    const band = amountBand(amount);
    const shift = dealShift(owner.skill, segment, band, product.family, f.source);
    const durationFactor =
      (T.familyDurationMultiplier[product.family] * T.amountBandDurationMultiplier[band]) / Math.pow(owner.skill, T.skillSpeedElasticity);

    // The full story, ignoring `end`: stage positions and the times they were entered.
    const stageAt: number[] = [0];
    const timeAt: number[] = [openedAt];
    let t = openedAt;
    let lossReason: string | null = null;
    let staleSince = -1;
    for (let s = 0; s < OPEN_STAGES.length; s++) {
      const { median, sigma } = T.stageDurationDays[OPEN_STAGES[s]];
      const duration = rng.lognormal(median * durationFactor, sigma) * DAY;
      if (rng.float() < advanceProbability(OPEN_STAGES[s], shift)) {
        t += duration;
        if (s === OPEN_STAGES.length - 1) t = this.quarterEndPush(t);
        stageAt.push(s + 1 === OPEN_STAGES.length ? 5 : s + 1);
        timeAt.push(t);
        continue;
      }
      const reason = lossReasonChoice[s].draw(rng);
      if (rng.chance(T.staleProbability)) {
        staleSince = t + duration * T.lossDurationFactor;
        break;
      }
      t += duration * T.lossDurationFactor;
      stageAt.push(6);
      timeAt.push(t);
      lossReason = reason;
      break;
    }

    // What the CRM shows at `end`.
    let known = 0;
    while (known + 1 < timeAt.length && timeAt[known + 1] <= end) known++;
    const current = stageAt[known];
    const closed = current >= 5;
    const status = current === 5 ? 'WON' : current === 6 ? 'LOST' : 'OPEN';
    const closedAt = closed ? timeAt[known] : null;
    const expectedCycle = OPEN_STAGES.reduce((acc, s) => acc + T.stageDurationDays[s].median, 0) * durationFactor;
    const expectedClose = Math.floor((openedAt + expectedCycle * DAY) / DAY) * DAY;
    const forecast = closed || !rng.chance(T.forecastOverrideShare) ? null : current === 4 ? 'COMMIT' : current === 3 ? 'BEST_CASE' : 'PIPELINE';
    this.dealSeq = id;
    this.buffers.deals.push([
      id, new Date(openedAt), new Date(timeAt[known]), `${accountName(account - 1)} - ${product.name}`, account, owner.id, product.id, amount * 100, 'EUR',
      this.stages[current], status, new Date(openedAt), new Date(engagedAt), new Date(expectedClose), closedAt === null ? null : new Date(closedAt),
      new Date(timeAt[known]), status === 'LOST' ? lossReason : null, leadId, f.source, forecast, 1 + known,
    ]);
    for (let k = 0; k <= known; k++) {
      const at = new Date(timeAt[k]);
      this.buffers.stageChanges.push([++this.changeSeq, at, at, id, k === 0 ? null : this.stages[stageAt[k - 1]], this.stages[stageAt[k]], at, owner.id, false]);
    }

    // Activities while the deal was worked: until it closed, went stale, or `end`.
    const workedUntil = Math.min(end, closedAt ?? (staleSince >= 0 && staleSince < end ? staleSince : end));
    const openReached = closed ? known : known + 1; // open stages entered by `end`
    const count = poisson(rng, (this.dealActivityRate * (0.6 + 0.2 * openReached)) / 1.152);
    for (let k = 0; k < count; k++) {
      const at = openedAt + rng.float() * Math.max(0, workedUntil - openedAt);
      let s = 0;
      while (s + 1 <= known && timeAt[s + 1] <= at) s++;
      const stage = Math.min(stageAt[s], 4);
      const type = activityType(rng, stage);
      this.activity(type, owner, null, id, at, activityOutcome(rng, type), rng.pick(DEAL_NOTES[type]));
    }

    if (status === 'WON') this.orders(account, product.id, id, amount, product.unitCost * quantity * (1 - discount * 0.2), closedAt!, segment, owner);
  }

  /** A win before the last weeks of its quarter may be pushed into them (`WORLD_TRUTH.seasonality`). */
  private quarterEndPush(t: number): number {
    const { lastWeeks, pushProbability } = T.seasonality;
    const nextQuarter = quarterStart(quarterKey(t) + 1);
    const windowStart = nextQuarter - lastWeeks * 7 * DAY;
    if (t < windowStart && this.rng.chance(pushProbability)) return windowStart + this.rng.float() * (nextQuarter - windowStart - 60_000);
    return t;
  }

  private orders(account: number, productId: number, dealId: number, amount: number, cost: number, closedAt: number, segment: Segment, owner: RepInfo): void {
    const rng = this.rng;
    const end = this.world.end;
    const month = monthKey(closedAt);
    bump(this.tallies.wonByMonth, String(month), amount);
    bump(this.tallies.wonByTeamQuarter, `${owner.team}|${quarterKey(closedAt)}`, amount);
    const marginNoise = rng.uniform(0.95, 1.05);
    this.order(account, productId, dealId, amount, cost * marginNoise, closedAt);
    const r = T.repurchase[segment];
    let t = closedAt;
    for (;;) {
      t += rng.lognormal(r.intervalDays, 0.3) * DAY;
      if (t > end || rng.chance(r.churnPerReorder)) break;
      const share = rng.uniform(r.amountShare[0], r.amountShare[1]);
      this.order(account, productId, null, amount * share, cost * share * marginNoise, t);
    }
  }

  private order(account: number, productId: number, dealId: number | null, amount: number, cost: number, at: number): void {
    const date = new Date(at);
    this.buffers.orders.push([++this.orderSeq, date, date, account, productId, dealId, Math.round(amount * 100), Math.round(cost * 100), date]);
  }

  private activity(type: string, rep: RepInfo, leadId: number | null, dealId: number | null, at: number, outcome: string, notes: string | null): void {
    const date = new Date(at);
    this.buffers.activities.push([++this.activitySeq, date, date, type, rep.id, leadId, dealId, date, outcome, notes]);
    const q = quarterKey(at);
    if (type === 'CALL') bump(this.tallies.activityByRepQuarter, `${rep.id}|${q}|calls`);
    if (outcome === 'MEETING_BOOKED') bump(this.tallies.activityByRepQuarter, `${rep.id}|${q}|meetings`);
  }
}

function poisson(rng: Rng, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rng.float();
  while (p > limit) {
    k++;
    p *= rng.float();
  }
  return k;
}

const TYPES_BY_STAGE = [
  new Choice(['CALL', 'EMAIL', 'NOTE'], [0.5, 0.4, 0.1]),
  new Choice(['CALL', 'EMAIL', 'MEETING', 'NOTE'], [0.35, 0.3, 0.25, 0.1]),
  new Choice(['DEMO', 'MEETING', 'EMAIL', 'NOTE'], [0.4, 0.25, 0.25, 0.1]),
  new Choice(['EMAIL', 'MEETING', 'CALL', 'NOTE'], [0.35, 0.3, 0.25, 0.1]),
  new Choice(['CALL', 'MEETING', 'EMAIL', 'NOTE'], [0.3, 0.3, 0.3, 0.1]),
];
const activityType = (rng: Rng, stage: number) => TYPES_BY_STAGE[stage].draw(rng);

const OUTCOMES: Record<string, Choice<string>> = {
  CALL: new Choice(['NO_ANSWER', 'CONNECTED', 'MEETING_BOOKED'], [0.35, 0.5, 0.15]),
  EMAIL: new Choice(['NONE', 'REPLIED', 'MEETING_BOOKED'], [0.45, 0.45, 0.1]),
  MEETING: new Choice(['COMPLETED', 'NO_ANSWER'], [0.92, 0.08]),
  DEMO: new Choice(['COMPLETED', 'NO_ANSWER'], [0.95, 0.05]),
  NOTE: new Choice(['NONE'], [1]),
};
const activityOutcome = (rng: Rng, type: string) => OUTCOMES[type].draw(rng);
