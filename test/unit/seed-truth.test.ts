import { CHANNELS, OPEN_STAGES, WORLD_TRUTH, advanceProbability, amountBand, dealShift, leadLogit, stageWinProbability } from '../../seeds/truth';
import { channelConversion, overallConversion, sampleLeadFeatures } from '../../seeds/lead-sampler';
import { Rng } from '../../seeds/random';
import { copyText, copyValue } from '../../src/db/pg-copy';

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

describe('COPY text of the bulk writers', () => {
  it('escapes backslashes, tabs and line breaks, writes \\N for null, t/f, ISO dates to the millisecond and JSON', () => {
    expect(copyValue('a\tb\nc\\d\re "q", NULL', 'text')).toBe('a\\tb\\nc\\\\d\\re "q", NULL');
    expect(copyValue('\\N', 'text')).toBe('\\\\N'); // the text \N is not a null
    expect([copyValue(null, 'text'), copyValue(undefined, 'int')]).toEqual(['\\N', '\\N']);
    expect([copyValue(true, 'bool'), copyValue(false, 'bool')]).toEqual(['t', 'f']);
    expect(copyValue(new Date(Date.UTC(2026, 0, 1, 8, 30, 0, 7)), 'date')).toBe('2026-01-01T08:30:00.007Z');
    expect(copyValue({ 'Total Visits': 3, note: 'a\tb' }, 'json')).toBe('{"Total Visits":3,"note":"a\\\\tb"}');
    expect(copyValue(12345678901, 'bigint')).toBe('12345678901');
    expect(copyValue(0.1 + 0.2, 'float')).toBe('0.30000000000000004');
  });

  it('writes column-wise rows as tab-separated lines', () => {
    expect(copyText([[1, 2], ['x', null]], ['int', 'text'], 2)).toBe('1\tx\n2\t\\N\n');
    expect(copyText([[], []], ['int', 'text'], 0)).toBe('');
  });
});
