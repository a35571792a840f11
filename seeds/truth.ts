/**
 * The known truth of the demo world: every parameter the generator (seeds/generate-*.ts) draws from.
 * Estimators (KPI engine, lead scoring, forecast) are tested against these numbers, so names are stable and the
 * generator reads them from here only. Times are days unless a name says otherwise; money is in EUR (major units).
 *
 * How a world is drawn, in one paragraph: reps, teams and accounts first; then deal "slots" spread over the
 * history with yearly growth. For each slot, leads are drawn i.i.d. (source, attributes, BANT, account) and each
 * converts with the logistic `leadModel`; leads are drawn until one converts (the others are kept as
 * non-converted leads), so conversion per lead follows the model exactly. The converted lead becomes a deal that
 * walks the open stages: at stage s it advances with `stageAdvance[s]` (logit shifted by `dealWinDrivers`) after
 * a lognormal time (`stageDurationDays`), or is lost with a reason. Wins may be pushed to the last weeks of the
 * quarter (`seasonality`). Won accounts reorder until they churn (`repurchase`). Anything after `end` has not
 * happened yet: those deals and leads are open.
 */

/** Lead sources, best converting first. */
export const CHANNELS = ['Referral', 'Partner', 'Webinar', 'Event', 'Organic', 'Outbound', 'Paid Ads'] as const;
export type Channel = (typeof CHANNELS)[number];

export const OPEN_STAGES = ['Prospecting', 'Qualification', 'Discovery/Demo', 'Proposal', 'Negotiation'] as const;
export type OpenStage = (typeof OPEN_STAGES)[number];

export const SEGMENTS = ['A', 'B', 'C'] as const;
export type Segment = (typeof SEGMENTS)[number];

export const PRODUCT_FAMILIES = ['Platform', 'Analytics', 'Services', 'Support'] as const;
export type ProductFamily = (typeof PRODUCT_FAMILIES)[number];

export const OCCUPATIONS = ['Working Professional', 'Businessman', 'Student', 'Unemployed', 'Other'] as const;
export const LEAD_ORIGINS = ['Landing Page Submission', 'API', 'Lead Add Form', 'Lead Import'] as const;

export const LOSS_REASONS = ['price', 'timing', 'competitor', 'no decision', 'positioning'] as const;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const logit = (p: number) => Math.log(p / (1 - p));

export const WORLD_TRUTH = {
  /** Length of the generated history before `end`. */
  historyDays: 3 * 365,
  /** Deal (and lead) volume grows this much per year (exponential trend over the history). */
  yearlyGrowth: 0.35,

  /**
   * Lead channels. `share`: fraction of all leads. `costPerLead`: marketing spend per lead in EUR (spend rows
   * are leads of the month x costPerLead x noise(sd 8%); Outbound is an SDR cost, booked as SALES spend).
   * `conversion`: P(lead converted) of the channel averaged over the other features (computed from
   * `leadModel`, see `channelConversion()`); the logistic coefficient is in `leadModel.source`.
   */
  channels: {
    Referral: { share: 0.07, costPerLead: 40 },
    Partner: { share: 0.09, costPerLead: 90 },
    Webinar: { share: 0.12, costPerLead: 60 },
    Event: { share: 0.08, costPerLead: 150 },
    Organic: { share: 0.22, costPerLead: 15 },
    Outbound: { share: 0.24, costPerLead: 35 },
    'Paid Ads': { share: 0.18, costPerLead: 55 },
  } satisfies Record<Channel, { share: number; costPerLead: number }>,

  /**
   * The logistic model deciding whether a lead converts (eventually becomes a deal):
   *   logit P = intercept + source[src] + totalVisits * log1p(Total Visits) + timeOnSitePerMinute * (Time On Site / 60)
   *           + occupation[occ] + leadOrigin[origin] + segment[seg]
   *           + hasAuthority * 1{authority} + hasNeed * 1{need} + hasBudget * 1{budget given}
   *           + shortTimeline * 1{timelineMonths <= 3}
   * Reference levels (coefficient 0): source Organic, occupation Other, origin Landing Page Submission, segment C.
   * "Page Views Per Visit", "Newsletter" (constant "No") and "Random Score" (noise) have NO effect.
   * Values are hidden (null) completely at random AFTER conversion was drawn, with `missingRate` per field.
   */
  leadModel: {
    intercept: -3.2,
    source: { Referral: 1.9, Partner: 1.25, Webinar: 0.55, Event: 0.45, Organic: 0, Outbound: -0.6, 'Paid Ads': -1.0 },
    totalVisits: 0.45,
    timeOnSitePerMinute: 0.09,
    pageViewsPerVisit: 0,
    occupation: { 'Working Professional': 1.1, Businessman: 0.6, Student: -0.7, Unemployed: -0.4, Other: 0 },
    leadOrigin: { 'Landing Page Submission': 0, API: -0.2, 'Lead Add Form': 0.9, 'Lead Import': -0.5 },
    segment: { A: 0.5, B: 0.25, C: 0 },
    hasAuthority: 0.7,
    hasNeed: 0.9,
    hasBudget: 0.4,
    shortTimeline: 0.35,
    missingRate: { 'Total Visits': 0.02, 'Time On Site': 0.02, 'Page Views Per Visit': 0.02, Occupation: 0.25, 'Lead Origin': 0 },
  },

  /** Distributions of the lead features (independent of each other, except BANT which depends on the channel quality). */
  leadFeatures: {
    /** Total Visits ~ Poisson-like: round(lognormal(median, sigma)), 0 for some. */
    totalVisits: { zeroShare: 0.2, median: 3, sigma: 0.8 },
    /** Time On Site seconds ~ lognormal; 0 when Total Visits is 0. */
    timeOnSiteSeconds: { median: 300, sigma: 0.9 },
    pageViewsPerVisit: { median: 2.3, sigma: 0.5 },
    occupation: { 'Working Professional': 0.22, Businessman: 0.08, Student: 0.12, Unemployed: 0.3, Other: 0.28 },
    leadOrigin: { 'Landing Page Submission': 0.5, API: 0.3, 'Lead Add Form': 0.12, 'Lead Import': 0.08 },
    hasAuthority: 0.45,
    hasNeed: 0.5,
    hasBudget: 0.35,
    /** timelineMonths uniform on 1..12 (P(<= 3) = 0.25); null for 30 % of leads (then shortTimeline = 0). */
    timelineMissing: 0.3,
    /** Account segment mix of leads (A accounts are fewer but produce more leads per account). */
    segment: { A: 0.15, B: 0.35, C: 0.5 },
  },

  /** Lead timeline: lead created -> first contact -> (MQL at creation for inbound) -> SQL -> converted (deal opened). */
  leadTimeline: {
    firstContactDays: { median: 1, sigma: 1.0 },
    /** Converted leads: first contact -> SQL, then SQL -> conversion. */
    toSqlDays: { median: 6, sigma: 0.7 },
    sqlToConvertDays: { median: 3, sigma: 0.6 },
    /** Non-converted leads are disqualified this long after first contact; 10 % are never contacted (NEW until disqualified). */
    toDisqualifyDays: { median: 20, sigma: 0.8 },
    neverContacted: 0.1,
    /** Non-converted leads that reached SQL before being disqualified. */
    qualifiedThenDropped: 0.15,
    disqualificationReasons: ['no budget', 'no authority', 'no need', 'bad timing', 'unresponsive', 'duplicate'],
  },

  /**
   * P(advance to the next stage | reached stage s) for an average deal (skill 1, segment B, medium amount,
   * Platform family). From Negotiation the "next stage" is Won. Not advancing means Lost (or, for
   * `staleProbability` of those deals, never updated again: a stale open deal).
   */
  stageAdvance: { Prospecting: 0.7, Qualification: 0.68, 'Discovery/Demo': 0.72, Proposal: 0.7, Negotiation: 0.78 } satisfies Record<OpenStage, number>,

  /**
   * Time spent in each open stage before advancing or losing: lognormal(median, sigma), divided by
   * rep skill ^ `skillSpeedElasticity`, multiplied by `familyDurationMultiplier` and `amountBandDurationMultiplier`.
   * Losses happen after `lossDurationFactor` x the drawn duration (deals die a bit faster than they move).
   */
  stageDurationDays: {
    Prospecting: { median: 8, sigma: 0.6 },
    Qualification: { median: 14, sigma: 0.6 },
    'Discovery/Demo': { median: 21, sigma: 0.6 },
    Proposal: { median: 18, sigma: 0.6 },
    Negotiation: { median: 14, sigma: 0.6 },
  } satisfies Record<OpenStage, { median: number; sigma: number }>,
  familyDurationMultiplier: { Platform: 1.3, Analytics: 1.0, Services: 0.8, Support: 0.6 } satisfies Record<ProductFamily, number>,
  amountBandDurationMultiplier: { small: 0.7, medium: 1.0, large: 1.6 },
  lossDurationFactor: 0.8,
  skillSpeedElasticity: 0.5,

  /**
   * Effects on winning, as additive shifts of every stage's advance logit (so the odds of reaching the next
   * stage are multiplied by exp(shift) at each of the 5 stages):
   *   shift = skillPerStage * ln(skill) + segment[seg] + amountBand[band] + family[fam]
   * Rep skill ~ lognormal(0, repSkillSigma) per AE: a skill-2 rep has x2^(skillPerStage) odds at every stage.
   * Amount bands: small < 10,000 EUR <= medium < 60,000 EUR <= large.
   */
  dealWinDrivers: {
    skillPerStage: 0.5,
    repSkillSigma: 0.35,
    segment: { A: 0.15, B: 0, C: -0.1 },
    amountBand: { small: 0.2, medium: 0, large: -0.25 },
    amountBandLimits: { smallBelow: 10_000, largeFrom: 60_000 },
    family: { Platform: 0, Analytics: 0.1, Services: 0.15, Support: 0.25 },
    /** The lead source also matters after conversion: Referral deals close better. */
    source: { Referral: 0.2, Partner: 0.1, Webinar: 0, Event: 0, Organic: 0, Outbound: -0.05, 'Paid Ads': -0.1 },
  },

  /** Loss reasons by the stage the deal died in (weights in LOSS_REASONS order: price, timing, competitor, no decision, positioning). */
  lossReasonWeights: {
    Prospecting: [0.05, 0.35, 0.1, 0.3, 0.2],
    Qualification: [0.1, 0.3, 0.15, 0.25, 0.2],
    'Discovery/Demo': [0.15, 0.2, 0.25, 0.2, 0.2],
    Proposal: [0.35, 0.15, 0.25, 0.15, 0.1],
    Negotiation: [0.4, 0.1, 0.3, 0.15, 0.05],
  } satisfies Record<OpenStage, number[]>,

  /** Deals that would be lost but are never closed by their rep: they stay open in the stage they died in. */
  staleProbability: 0.03,

  /** Share of open deals whose rep set a forecast category (COMMIT in Negotiation, BEST_CASE in Proposal, else PIPELINE). */
  forecastOverrideShare: 0.25,

  /**
   * Quarter-end effect: a win whose natural close falls before the last `lastWeeks` weeks of its quarter is,
   * with probability `pushProbability`, delayed to a uniform day within the last `lastWeeks` weeks of that
   * quarter (reps bunch signatures at quarter end). Expected share of wins in the last 3 weeks ~ 0.23 + 0.3 x 0.77.
   */
  seasonality: { lastWeeks: 3, pushProbability: 0.3 },

  /**
   * Repeat orders after a won deal: every `intervalDays` (lognormal median, sigma 0.3) the account reorders
   * `amountShare` x the deal amount (uniform range), unless it churns first: P(churn before each reorder).
   */
  repurchase: {
    A: { intervalDays: 120, churnPerReorder: 0.12, amountShare: [0.3, 0.7] },
    B: { intervalDays: 150, churnPerReorder: 0.25, amountShare: [0.25, 0.6] },
    C: { intervalDays: 180, churnPerReorder: 0.45, amountShare: [0.2, 0.5] },
  } satisfies Record<Segment, { intervalDays: number; churnPerReorder: number; amountShare: [number, number] }>,

  /** Products: list price and unit cost in EUR per unit (margin = 1 - cost/price differs by family). */
  products: [
    { name: 'Platform Core', family: 'Platform', listPrice: 12_000, unitCost: 2_400 },
    { name: 'Platform Enterprise', family: 'Platform', listPrice: 45_000, unitCost: 8_100 },
    { name: 'Analytics Pro', family: 'Analytics', listPrice: 8_000, unitCost: 2_000 },
    { name: 'Analytics Lite', family: 'Analytics', listPrice: 2_500, unitCost: 500 },
    { name: 'Implementation Services', family: 'Services', listPrice: 15_000, unitCost: 9_750 },
    { name: 'Training Pack', family: 'Services', listPrice: 3_000, unitCost: 1_650 },
    { name: 'Premium Support', family: 'Support', listPrice: 6_000, unitCost: 2_100 },
  ] satisfies Array<{ name: string; family: ProductFamily; listPrice: number; unitCost: number }>,

  /** Deal amount = list price x quantity x (1 - discount); quantity ~ 1 + Poisson-ish lognormal by segment; discount U(0, maxDiscount). */
  dealAmount: {
    quantityMedian: { A: 4, B: 2, C: 1 },
    quantitySigma: 0.6,
    maxDiscount: 0.25,
    /** Product choice weights by segment (products order). */
    productWeights: {
      A: [0.15, 0.25, 0.15, 0.05, 0.2, 0.05, 0.15],
      B: [0.25, 0.1, 0.2, 0.1, 0.15, 0.1, 0.1],
      C: [0.2, 0.02, 0.15, 0.3, 0.08, 0.15, 0.1],
    },
  },

  /** Org: 5 teams; AEs scale with volume (about one AE per `dealsPerAe` deals over the history). */
  org: {
    teams: [
      { name: 'EMEA Enterprise', region: 'EMEA', segments: ['A'] },
      { name: 'EMEA Mid-Market', region: 'EMEA', segments: ['B', 'C'] },
      { name: 'NA Enterprise', region: 'NA', segments: ['A'] },
      { name: 'NA Mid-Market', region: 'NA', segments: ['B', 'C'] },
      { name: 'APAC', region: 'APAC', segments: ['A', 'B', 'C'] },
    ],
    regionShare: { EMEA: 0.45, NA: 0.38, APAC: 0.17 },
    dealsPerAe: 450,
    sdrPerAe: 0.5,
    minAesPerTeam: 2,
  },

  /**
   * Activities. Every contacted lead has its first-contact CALL or EMAIL (at firstContactedAt); a converted lead
   * also has the MEETING_BOOKED call at sqlAt. Deals get Poisson(lambda x (0.6 + 0.2 x stages reached) / 1.15)
   * activities from the rep who owns them, with lambda = max(minPerDeal, activitiesPerDeal - expected lead
   * activities per deal), so the total is close to activitiesPerDeal x deals (option default `defaultPerDeal`).
   */
  activities: { defaultPerDeal: 5, minPerDeal: 2 },

  /**
   * Targets (plans): quarterly `revenue` quota per AE = realized won revenue of the team in the quarter (the
   * previous quarter x growth for the current one) / team AEs x `quotaUplift` x U(0.9, 1.1); team = sum of its
   * reps, company = sum of teams. `winRate` (company, quarterly) = `winRate`; `meetingsBooked` and `callsMade`
   * per AE and SDR per quarter = realized average of the role x `activityUplift`.
   */
  targets: { quotaUplift: 1.15, winRate: 0.2, activityUplift: 1.1 },
} as const;

export type WorldTruth = typeof WORLD_TRUTH;

/** The true (unmasked) features of a lead: what `leadModel` reads. */
export interface LeadFeatures {
  source: Channel;
  totalVisits: number;
  timeOnSiteSeconds: number;
  pageViewsPerVisit: number;
  occupation: (typeof OCCUPATIONS)[number];
  leadOrigin: (typeof LEAD_ORIGINS)[number];
  segment: Segment;
  hasAuthority: boolean;
  hasNeed: boolean;
  hasBudget: boolean;
  timelineMonths: number | null;
}

/** Logit P(converted) of a lead from its (true, unmasked) features; page views per visit carry no signal. */
export function leadLogit(f: Omit<LeadFeatures, 'pageViewsPerVisit'>): number {
  const m = WORLD_TRUTH.leadModel;
  return (
    m.intercept +
    m.source[f.source] +
    m.totalVisits * Math.log1p(f.totalVisits) +
    m.timeOnSitePerMinute * (f.timeOnSiteSeconds / 60) +
    m.occupation[f.occupation] +
    m.leadOrigin[f.leadOrigin] +
    m.segment[f.segment] +
    (f.hasAuthority ? m.hasAuthority : 0) +
    (f.hasNeed ? m.hasNeed : 0) +
    (f.hasBudget ? m.hasBudget : 0) +
    (f.timelineMonths != null && f.timelineMonths <= 3 ? m.shortTimeline : 0)
  );
}

/** P(advance | reached stage) for a deal with the given logit shift (0 = average deal). */
export function advanceProbability(stage: OpenStage, shift: number): number {
  return sigmoid(logit(WORLD_TRUTH.stageAdvance[stage]) + shift);
}

/** P(won | reached stage s) for an average deal: the product of the advance probabilities from s on. */
export function stageWinProbability(shift = 0): Record<OpenStage, number> {
  const out = {} as Record<OpenStage, number>;
  let p = 1;
  for (let i = OPEN_STAGES.length - 1; i >= 0; i--) {
    p *= advanceProbability(OPEN_STAGES[i], shift);
    out[OPEN_STAGES[i]] = p;
  }
  return out;
}

/** The logit shift of a deal's advance probabilities from its drivers (see `dealWinDrivers`). */
export function dealShift(skill: number, segment: Segment, band: AmountBand, family: ProductFamily, source: Channel): number {
  const d = WORLD_TRUTH.dealWinDrivers;
  return d.skillPerStage * Math.log(skill) + d.segment[segment] + d.amountBand[band] + d.family[family] + d.source[source];
}

export type AmountBand = 'small' | 'medium' | 'large';
export function amountBand(amount: number): AmountBand {
  const { smallBelow, largeFrom } = WORLD_TRUTH.dealWinDrivers.amountBandLimits;
  return amount < smallBelow ? 'small' : amount >= largeFrom ? 'large' : 'medium';
}

export { sigmoid, logit };
