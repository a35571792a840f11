import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import seedrandom from 'seedrandom';
import { initTensorflow } from '../../src/modules/scoring/tf-backend';
import { loadNetwork, saveNetwork } from '../../src/modules/scoring/network';
import { InsufficientDataError, stalenessGuard, trainScoringModel, type Example } from '../../src/modules/scoring/trainer';
import { ModelScorer, RuleScorer, modelFits, type ModelMetadata } from '../../src/modules/scoring/scorer';
import { expectedCalibrationError } from '../../src/modules/scoring/metrics';

/** 3,000 leads from a known logistic model: Referral +1.5, Paid Ads −1, visits +0.6 per log-visit, need +1. */
function syntheticLeads(n: number, seed: string): Example[] {
  const rng = seedrandom(seed);
  const sources = ['Referral', 'Organic', 'Paid Ads'];
  const effect: Record<string, number> = { Referral: 1.5, Organic: 0, 'Paid Ads': -1 };
  return Array.from({ length: n }, (_, i) => {
    const source = sources[Math.floor(rng() * 3)];
    const visits = Math.floor(rng() * 20);
    const need = rng() < 0.5;
    const z = -2 + effect[source] + 0.6 * Math.log1p(visits) + (need ? 1 : 0);
    const label = rng() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    return {
      id: i + 1,
      at: Date.UTC(2025, 0, 1) + i * 3_600_000,
      label: label as 0 | 1,
      record: {
        // Messy export: case duplicates, a placeholder, numbers as text, a constant and a noise column.
        source: i % 7 === 0 ? source.toLowerCase() : source,
        visits: i % 13 === 0 ? 'Select' : String(visits),
        need,
        newsletter: 'No',
        noise: rng(),
      },
    };
  });
}

const KEYS = ['source', 'visits', 'need', 'newsletter', 'noise'];
const LABELS = { source: 'Lead source', visits: 'Total Visits', need: 'Need confirmed' };

describe('lead model on synthetic data', () => {
  let result: Awaited<ReturnType<typeof trainScoringModel>>;
  const examples = syntheticLeads(3000, 'leads');

  beforeAll(async () => {
    await initTensorflow();
    result = await trainScoringModel(examples, { kind: 'LEAD', keys: KEYS, labels: LABELS, baselineKey: 'source', maxEpochs: 12, seed: 7 });
  }, 60_000);

  it('splits by time, beats the source-only baseline, and is calibrated on the holdout', () => {
    const { info } = result;
    expect(info.split).toMatchObject({ method: 'time', train: 2100, validation: 450, holdout: 450 });
    expect(info.pipeline.dropped.map((d) => d.key)).toEqual(['newsletter']);
    expect(info.metrics.auc).toBeGreaterThan(0.7);
    expect(info.metrics.auc).toBeGreaterThan(info.baselines['rateBy:source'].auc);
    expect(expectedCalibrationError(info.metrics.calibration)).toBeLessThan(0.08);
    expect(info.leakageWarning).toBeNull();
    expect(info.candidates.map((c) => c.type)).toEqual(['logistic', 'mlp']);
  });

  it('recovers the generating effects in the right direction', () => {
    const effect = (feature: string, value: string) => result.info.effects.find((e) => e.feature === feature && e.value === value)!.effect;
    expect(effect('source', 'Referral')).toBeGreaterThan(0);
    expect(effect('source', 'Paid Ads')).toBeLessThan(0);
    expect(effect('visits', 'higher')).toBeGreaterThan(0);
    expect(effect('need', 'higher')).toBeGreaterThan(0);
    const rank = result.info.importance.map((i) => i.feature);
    expect(rank.indexOf('noise')).toBe(rank.length - 1);
  });

  it('saves, reloads and predicts identically', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-model-'));
    const metadata: ModelMetadata = { ...result.info, formatVersion: 1, version: 'lead-test', createdAt: new Date(0).toISOString(), libraries: { tfjs: 'x', backend: 'x', node: 'x' } };
    await saveNetwork(result.network, dir, metadata);
    expect(fs.readdirSync(dir).sort()).toEqual(['metadata.json', 'model.json', 'weights.bin']);
    const reloaded = new ModelScorer(JSON.parse(fs.readFileSync(path.join(dir, 'metadata.json'), 'utf8')), await loadNetwork(dir));
    const original = new ModelScorer(metadata, result.network);
    const records = examples.slice(0, 200).map((e) => e.record);
    const a = original.score(records);
    const b = reloaded.score(records);
    expect(b.map((s) => s.probability)).toEqual(a.map((s) => s.probability));
    expect(b[0].factors).toEqual(a[0].factors);
    fs.rmSync(dir, { recursive: true });
  });

  it('serves a model trained elsewhere only where it fits the data', () => {
    const metadata = { ...result.info, formatVersion: 1, version: 'v', createdAt: '', libraries: { tfjs: '', backend: '', node: '' } } as ModelMetadata;
    const same = examples.slice(0, 100).map((e) => e.record);
    expect(modelFits(metadata, same, ['source'])).toEqual({ fits: true, reason: 'fits' });
    const otherSources = same.map((r) => ({ ...r, source: 'Trade show' }));
    expect(modelFits(metadata, otherSources, ['source'])).toEqual({ fits: false, reason: '0 % of "Lead source" values are known to the model' });
    expect(modelFits(metadata, same.slice(0, 10), ['source']).fits).toBe(false);
  });

  it('bounds deals open longer than any won deal by the rule of succession', () => {
    const deal = (id: number, label: 0 | 1, lifeDays: number): Example => ({ id, label, lifeDays, at: id, record: {} });
    // Won lives 10 and 40 days; lost 5, 50, 60, 70: 3 lost deals lived past the longest win, and 3 of the
    // open deals (ages 12, 41, 90, 400) are older than 40 days: 0 wins in 6 → P ≤ 1 / 8.
    const examples = [deal(1, 1, 10), deal(2, 1, 40), deal(3, 0, 5), deal(4, 0, 50), deal(4, 0, 50), deal(5, 0, 60), deal(6, 0, 70)];
    expect(stalenessGuard(examples, [12, 41, 90, 400])).toEqual({ staleAfterDays: 40, probability: 1 / 8, olderLost: 3, olderOpen: 3 });
    expect(stalenessGuard(examples)).toEqual({ staleAfterDays: 40, probability: 1 / 5, olderLost: 3, olderOpen: 0 });
    const metadata = { ...result.info, staleness: { staleAfterDays: 40, probability: 0.2, olderLost: 3, olderOpen: 0 }, formatVersion: 1, version: 'v', createdAt: '', libraries: { tfjs: '', backend: '', node: '' } } as ModelMetadata;
    const scorer = new ModelScorer(metadata, result.network);
    const record = { source: 'Referral', visits: '15', need: true };
    const [fresh, stale] = scorer.score([{ ...record, 'deal.ageDays': 30 }, { ...record, 'deal.ageDays': 400 }]);
    expect(fresh.probability).toBeGreaterThan(0.2);
    expect(stale.probability).toBe(0.2);
    expect(stale.factors.find((f) => f.feature === 'deal.ageDays')).toEqual({
      feature: 'deal.ageDays',
      label: 'Open 400 days: longer than any won deal (40 days)',
      contribution: Math.round((Math.log(0.2 / 0.8) - Math.log(fresh.probability / (1 - fresh.probability))) * 1000) / 1000,
    });
  });

  it('explains a score with readable, signed factors', () => {
    const scorer = new ModelScorer({ ...result.info, formatVersion: 1, version: 'v', createdAt: '', libraries: { tfjs: '', backend: '', node: '' } }, result.network);
    const [strong, weak] = scorer.score([
      { source: 'Referral', visits: '15', need: true, noise: 0.5 },
      { source: 'Paid Ads', visits: '0', need: false, noise: 0.5 },
    ]);
    expect(strong.probability).toBeGreaterThan(weak.probability);
    expect(strong.factors[0]).toMatchObject({ label: expect.stringMatching(/^(Lead source: Referral|Total Visits: 15|Need confirmed: yes)$/) });
    expect(strong.factors[0].contribution).toBeGreaterThan(0);
    expect(weak.factors.filter((f) => f.contribution < 0).map((f) => f.label)).toContain('Lead source: Paid Ads');
    expect(['A', 'B']).toContain(strong.tier);
    expect(weak.tier).toBe('D');
  });
});

describe('insufficient data', () => {
  it('refuses to train below the published minimums and the rule-based score says why', async () => {
    const few = syntheticLeads(600, 'few');
    await expect(trainScoringModel(few, { kind: 'LEAD', keys: KEYS, labels: LABELS })).rejects.toBeInstanceOf(InsufficientDataError);
    const error = (await trainScoringModel(few, { kind: 'LEAD', keys: KEYS, labels: LABELS }).catch((e: unknown) => e)) as InsufficientDataError;
    expect(error.counts.examples).toBe(600);
    expect(error.message).toMatch(/needs at least 1000 with 120 positive/);

    const rules = new RuleScorer('LEAD', error.message, 0.2);
    const [hot, cold] = rules.score([{ 'bant.hasNeed': true, 'bant.hasAuthority': 1, 'act.meetings': 1 }, {}]);
    // logit(0.2) − 1 + 0.9 + 0.7 + 0.5 = −1.386 + 1.1 = −0.286 → 0.429; the cold lead: logit(0.2) − 1 → 0.084.
    expect(hot.probability).toBeCloseTo(1 / (1 + Math.exp(0.28629)), 4);
    expect(cold.probability).toBeCloseTo(1 / (1 + Math.exp(2.38629)), 4);
    expect(hot.factors.map((f) => f.label)).toEqual(['Need confirmed', 'Decision maker identified', 'Meetings: 1']);
    expect(cold.factors).toEqual([]);
  });
});
