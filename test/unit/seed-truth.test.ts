import { CHANNELS, OPEN_STAGES, WORLD_TRUTH, advanceProbability, amountBand, dealShift, leadLogit, stageWinProbability } from '../../seeds/truth';
import { channelConversion, overallConversion, sampleLeadFeatures } from '../../seeds/lead-sampler';
import { Rng } from '../../seeds/random';
import { pgArrayLiteral } from '../../seeds/sink';

describe('the known truth of the demo world', () => {
  it('stage win probabilities are the products of the advance probabilities (computed by hand)', () => {
    const p = stageWinProbability();
    expect(p.Negotiation).toBeCloseTo(0.78, 12);
    expect(p.Proposal).toBeCloseTo(0.7 * 0.78, 12);
    expect(p['Discovery/Demo']).toBeCloseTo(0.72 * 0.7 * 0.78, 12);
    expect(p.Prospecting).toBeCloseTo(0.18712512, 10); // 0.7 x 0.68 x 0.72 x 0.7 x 0.78
  });

  it('a positive logit shift raises every advance probability; skill 1 on an average deal is no shift', () => {
    for (const stage of OPEN_STAGES) {
      expect(advanceProbability(stage, 0)).toBeCloseTo(WORLD_TRUTH.stageAdvance[stage], 12);
      expect(advanceProbability(stage, 0.5)).toBeGreaterThan(WORLD_TRUTH.stageAdvance[stage]);
    }
    expect(dealShift(1, 'B', 'medium', 'Platform', 'Organic')).toBe(0);
    expect(dealShift(Math.E, 'B', 'medium', 'Platform', 'Organic')).toBeCloseTo(WORLD_TRUTH.dealWinDrivers.skillPerStage, 12);
    expect([amountBand(9_999), amountBand(10_000), amountBand(59_999), amountBand(60_000)]).toEqual(['small', 'medium', 'medium', 'large']);
  });

  it('lead logit adds the documented coefficients (hand-computed example)', () => {
    const logit = leadLogit({
      source: 'Referral', totalVisits: Math.E - 1, timeOnSiteSeconds: 600, occupation: 'Student', leadOrigin: 'API', segment: 'A',
      hasAuthority: true, hasNeed: false, hasBudget: true, timelineMonths: 3,
    });
    // -3.2 + 1.9 + 0.45 x ln(e) + 0.09 x 10 - 0.7 - 0.2 + 0.5 + 0.7 + 0.4 + 0.35
    expect(logit).toBeCloseTo(-3.2 + 1.9 + 0.45 + 0.9 - 0.7 - 0.2 + 0.5 + 0.7 + 0.4 + 0.35, 12);
  });

  it('channel baselines follow the documented order Referral > Partner > Webinar/Event > Organic > Outbound > Paid Ads', () => {
    const c = channelConversion();
    expect(c.Referral).toBeGreaterThan(c.Partner);
    expect(c.Partner).toBeGreaterThan(Math.max(c.Webinar, c.Event));
    expect(Math.min(c.Webinar, c.Event)).toBeGreaterThan(c.Organic);
    expect(c.Organic).toBeGreaterThan(c.Outbound);
    expect(c.Outbound).toBeGreaterThan(c['Paid Ads']);
    const shares = CHANNELS.reduce((a, ch) => a + WORLD_TRUTH.channels[ch].share, 0);
    expect(shares).toBeCloseTo(1, 12);
    expect(overallConversion()).toBeGreaterThan(0.25);
    expect(overallConversion()).toBeLessThan(0.45);
  });

  it('draws are reproducible for a seed and differ between seeds', () => {
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 5 }, () => sampleLeadFeatures(rng));
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
  });
});

describe('PostgreSQL array literals of the seed writer', () => {
  it('quotes text (quotes, backslashes, commas, the word NULL) and writes nulls, booleans and epoch ms', () => {
    expect(pgArrayLiteral(['a "b"', 'c\\d', 'e,f', 'NULL', null], 'text')).toBe('{"a \\"b\\"","c\\\\d","e,f","NULL",NULL}');
    expect(pgArrayLiteral([true, false, null], 'bool')).toBe('{t,f,NULL}');
    expect(pgArrayLiteral([new Date(Date.UTC(2026, 0, 1)), null], 'date')).toBe('{1767225600000,NULL}');
    expect(pgArrayLiteral([{ 'Total Visits': 3, Occupation: null }], 'json')).toBe('{"{\\"Total Visits\\":3,\\"Occupation\\":null}"}');
    expect(pgArrayLiteral([1, null, 12345678901], 'bigint')).toBe('{1,NULL,12345678901}');
  });
});
