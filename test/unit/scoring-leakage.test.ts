import seedrandom from 'seedrandom';
import { initTensorflow } from '../../src/modules/scoring/tf-backend';
import { screenLeaks } from '../../src/modules/scoring/leakage';
import { chooseSplit, splitExamples } from '../../src/modules/scoring/split';
import { trainScoringModel, type Example } from '../../src/modules/scoring/trainer';

const DAY = 86_400_000;
const START = Date.UTC(2025, 0, 1);

/** Leads from a known logistic model (Referral +1.5, Paid Ads −1, need +1), one every `spacingMs`. */
function leads(n: number, seed: string, spacingMs = 3 * 3_600_000): Example[] {
  const rng = seedrandom(seed);
  const sources = ['Referral', 'Organic', 'Paid Ads'];
  const effect: Record<string, number> = { Referral: 1.5, Organic: 0, 'Paid Ads': -1 };
  return Array.from({ length: n }, (_, i) => {
    const source = sources[Math.floor(rng() * 3)];
    const need = rng() < 0.5;
    const visits = Math.floor(rng() * 20);
    const label = (rng() < 1 / (1 + Math.exp(-(-1.5 + effect[source] + (need ? 1 : 0) + 0.4 * Math.log1p(visits)))) ? 1 : 0) as 0 | 1;
    return { id: i + 1, at: START + i * spacingMs, label, record: { source, need, visits, noise: rng() } };
  });
}

const KEYS = ['source', 'need', 'visits', 'noise'];
const LABELS = { source: 'Lead source', need: 'Need confirmed', visits: 'Visits' };

describe('holdout split', () => {
  it('is time-ordered when the records carry real dates', () => {
    const choice = chooseSplit(leads(1000, 'dated'));
    expect(choice.method).toBe('time');
    expect(choice.reason).toBe('time-ordered: 100 % dated, 125 distinct days over 124 days, busiest day 2025-01-01 with 0.8 %');
  });

  it('is stratified when every record carries the import time, a few import runs, or no date', () => {
    const imported = leads(1000, 'imported').map((e) => ({ ...e, at: Date.UTC(2026, 11, 1, 8, 24) }));
    expect(chooseSplit(imported)).toEqual({
      method: 'stratified',
      reason: 'stratified: the dates do not look real (1 distinct days over 0 days, busiest day 2026-12-01 with 100 %; an import without dates stamps its own time)',
    });
    // Three import runs a week apart: few distinct days, one holding a third of the records.
    const runs = leads(900, 'runs').map((e, i) => ({ ...e, at: START + (i % 3) * 7 * DAY }));
    expect(chooseSplit(runs).method).toBe('stratified');
    const undated = leads(1000, 'undated').map((e, i) => ({ ...e, at: i % 5 === 0 ? START + i * DAY : null }));
    expect(chooseSplit(undated)).toEqual({ method: 'stratified', reason: 'stratified: only 20 % of the examples carry a date' });
  });

  it('stratified: seeded, keeps the positive rate in every part, never splits a record', () => {
    const rows = leads(2000, 'strat').flatMap((e) => (e.id % 4 === 0 ? [e, { ...e, record: { ...e.record, snapshot: 2 } }] : [e]));
    const choice = { method: 'stratified' as const, reason: 'test' };
    const a = splitExamples(rows, 42, choice);
    const b = splitExamples(rows, 42, choice);
    expect(a.test.map((e) => e.id)).toEqual(b.test.map((e) => e.id));
    expect(splitExamples(rows, 43, choice).test.map((e) => e.id)).not.toEqual(a.test.map((e) => e.id));
    const records = (part: Example[]) => new Set(part.map((e) => e.id));
    const rate = (part: Example[]) => [...new Map(part.map((e) => [e.id, e.label])).values()].reduce<number>((s, l) => s + l, 0) / records(part).size;
    const overall = rate(rows);
    for (const part of [a.train, a.val, a.test]) expect(Math.abs(rate(part) - overall)).toBeLessThan(0.005);
    const testIds = records(a.test);
    expect([...records(a.train)].some((id) => testIds.has(id))).toBe(false);
    expect(records(a.train).size + records(a.val).size + records(a.test).size).toBe(2000);
  });

  it('time-ordered: the newest 15 % are held out', () => {
    const rows = leads(1000, 'time-order');
    const split = splitExamples(rows, 42);
    expect(split.method).toBe('time');
    expect(Math.min(...split.test.map((e) => e.at!))).toBeGreaterThan(Math.max(...split.val.map((e) => e.at!)));
    expect(Math.min(...split.val.map((e) => e.at!))).toBeGreaterThan(Math.max(...split.train.map((e) => e.at!)));
  });
});

describe('leakage screen', () => {
  const rows = leads(3000, 'screen');
  const train = rows.slice(0, 2100);
  const val = rows.slice(2100, 2550);

  it('names a copy of the label, a column filled in only for converted leads, and a value that marks one outcome', () => {
    const planted = (e: Example, i: number): Example => ({
      ...e,
      record: {
        ...e.record,
        status: e.label ? 'Converted' : 'Lost',
        segment: e.label ? ['retail', 'pet', 'car'][i % 3] : null,
        // 80 % of the lost leads carry amount 0, no converted lead does: a partial leak a rank test alone misses.
        amount: !e.label && i % 5 !== 0 ? 0 : 100 + (i % 97) * 37,
      },
    });
    const found = screenLeaks(train.map(planted), val.map((e, i) => planted(e, i + 2100)), [...KEYS, 'status', 'segment', 'amount'], { ...LABELS, segment: 'Segment', amount: 'Amount' }, ['lost', 'converted']);
    expect(found.map((f) => [f.feature, f.reason])).toEqual([
      ['status', 'separates'],
      ['segment', 'separates'],
      ['amount', 'pure-value'],
    ]);
    expect(found[0].auc).toBe(1);
    expect(found[1].detail).toBe('Segment alone ranks the validation rows with AUC 1.000 (Segment = (missing) on 100 % of lost rows and 0 % of converted rows)');
    const lost = train.map(planted).filter((e) => e.label === 0);
    const share = lost.filter((e) => e.record.amount === 0).length / lost.length;
    expect(share).toBeGreaterThan(0.75);
    expect(found[2].detail).toBe(`Amount = 0 on ${Number((100 * share).toFixed(1))} % of lost rows and 0 % of converted rows`);
  });

  it('leaves real signal, noise and identifiers alone', () => {
    const withId = (e: Example) => ({ ...e, record: { ...e.record, id: `lead-${e.id}` } });
    expect(screenLeaks(train.map(withId), val.map(withId), [...KEYS, 'id'], LABELS)).toEqual([]);
  });
});

describe('leakage guard in training', () => {
  beforeAll(() => initTensorflow());

  it('drops a column that alone gives the outcome away, retrains without it, and holds activation', async () => {
    const rows = leads(3000, 'guard').map((e) => ({ ...e, record: { ...e.record, 'attr.business_segment': e.label ? 'pet' : null } }));
    const { info, network } = await trainScoringModel(rows, { kind: 'LEAD', keys: [...KEYS, 'attr.business_segment'], labels: { ...LABELS, 'attr.business_segment': 'business_segment' }, maxEpochs: 8, seed: 3 });
    network.dispose();
    expect(info.leakage.dropped.map((d) => [d.feature, d.reason])).toEqual([['attr.business_segment', 'separates']]);
    expect(info.pipeline.features.map((f) => f.key)).not.toContain('attr.business_segment');
    expect(info.metrics.auc).toBeLessThan(0.9);
    expect(info.metrics.auc).toBeGreaterThan(0.65);
    expect(info.leakage).toMatchObject({ suspect: false, holdActivation: true });
    expect(info.leakage.message).toMatch(/^Leakage guard dropped business_segment \(business_segment alone ranks the validation rows with AUC 1\.000.*\) and retrained without it\. Not activated automatically/);
    expect(info.featureDescription.find((d) => d.key === 'attr.business_segment')).toMatchObject({ type: 'dropped', detail: expect.stringMatching(/^leakage \(separates\)/) });
  }, 60_000);

  it('a holdout too good for any one column: the strongest column is named, dropped, and the model retrained', async () => {
    // Each column alone is weak (AUC ≈ 0.6), their difference is the label: only a trained model finds it.
    const rng = seedrandom('pair');
    const rows = leads(3000, 'pair').map((e) => {
      const base = 6 * (rng() - 0.5);
      return { ...e, record: { ...e.record, 'attr.a': base, 'attr.b': base + (e.label ? 1 : 0) } };
    });
    const keys = [...KEYS, 'attr.a', 'attr.b'];
    const { info, network } = await trainScoringModel(rows, { kind: 'LEAD', keys, labels: LABELS, maxEpochs: 15, seed: 3 });
    network.dispose();
    const [first] = info.leakage.dropped;
    expect(first.reason).toBe('holdout-too-good');
    expect(['attr.a', 'attr.b']).toContain(first.feature);
    expect(first.auc).toBeGreaterThanOrEqual(0.97);
    expect(info.leakage.passes[0]).toMatchObject({ holdoutAuc: first.auc, dropped: first.feature });
    expect(info.metrics.auc).toBeLessThan(0.97);
    expect(info.pipeline.features.map((f) => f.key)).not.toContain(first.feature);
    expect(info.leakage.holdActivation).toBe(true);
  }, 120_000);

  it('clean data: nothing dropped, nothing held', async () => {
    const { info, network } = await trainScoringModel(leads(3000, 'clean'), { kind: 'LEAD', keys: KEYS, labels: LABELS, maxEpochs: 8, seed: 3 });
    network.dispose();
    expect(info.leakage).toEqual({ dropped: [], passes: [{ features: 4, holdoutAuc: info.metrics.auc, dropped: null }], suspect: false, holdActivation: false, message: null });
    expect(info.leakageWarning).toBeNull();
    expect(info.split.method).toBe('time');
  }, 60_000);
});
