import pino from 'pino';
import { createOrm, migrate, type Em, type Orm } from '../../src/db/orm';
import { loadConfig, parseDatabaseUrl } from '../../src/config';
import { initTensorflow } from '../../src/modules/scoring/tf-backend';
import { ModelKind } from '../../src/modules/scoring/scoring.entity';
import { loadExamples, trainSettings } from '../../src/modules/scoring/training-data';
import { trainScoringModel, type TrainedModelInfo } from '../../src/modules/scoring/trainer';
import { seedDemoWorld, WORLD_TRUTH } from '../../seeds';

/**
 * Truth recovery: on a seeded world (seed 42, 2,000 deals, ~6,000 leads) the lead model's factors must show the
 * generating effects of seeds/truth.ts `leadModel` in the right direction and order.
 */
describe('lead model on the seeded world', () => {
  let orm: Orm;
  let info: TrainedModelInfo;
  const effect = (feature: string, value: string) => {
    const found = info.effects.find((e) => e.feature === feature && e.value === value);
    if (!found) throw new Error(`no effect for ${feature}=${value}`);
    return found.effect;
  };

  beforeAll(async () => {
    const config = loadConfig({ NODE_ENV: 'test' }, { database: parseDatabaseUrl(':memory:') });
    orm = await createOrm(config.database);
    await migrate(orm);
    await seedDemoWorld(orm, { seed: 42, deals: 2000, end: new Date('2026-11-23T00:00:00Z'), logger: pino({ level: 'silent' }) });
    await initTensorflow();
    const examples = await loadExamples(orm.em.fork() as Em, ModelKind.LEAD);
    info = (await trainScoringModel(examples, { ...trainSettings(ModelKind.LEAD, examples), maxEpochs: 10, seed: 42 })).info;
  }, 120_000);

  afterAll(async () => orm?.close(true));

  it('is evaluated on the newest closed leads and beats the source-only table', () => {
    expect(info.split.method).toBe('time');
    expect(info.counts.examples).toBeGreaterThan(4000);
    expect(info.metrics.auc).toBeGreaterThan(0.75);
    expect(info.metrics.auc).toBeGreaterThan(info.baselines['rateBy:source'].auc + 0.05);
    expect(info.leakageWarning).toBeNull();
  });

  it('orders lead sources as the generating coefficients do', () => {
    const truth = WORLD_TRUTH.leadModel.source;
    expect(truth.Referral).toBeGreaterThan(truth.Partner);
    expect(effect('source', 'Referral')).toBeGreaterThan(effect('source', 'Partner'));
    expect(effect('source', 'Partner')).toBeGreaterThan(effect('source', 'Organic'));
    expect(effect('source', 'Organic')).toBeGreaterThan(effect('source', 'Paid Ads'));
    expect(effect('source', 'Referral')).toBeGreaterThan(0);
    expect(effect('source', 'Paid Ads')).toBeLessThan(0);
  });

  it('recovers the direction of the custom fields, BANT and segment effects', () => {
    expect(effect('attr.Occupation', 'Working Professional')).toBeGreaterThan(effect('attr.Occupation', 'Student'));
    expect(effect('attr.Lead Origin', 'Lead Add Form')).toBeGreaterThan(effect('attr.Lead Origin', 'Lead Import'));
    expect(effect('attr.Time On Site', 'higher')).toBeGreaterThan(0);
    expect(effect('bant.hasNeed', 'higher')).toBeGreaterThan(0);
    expect(effect('bant.hasAuthority', 'higher')).toBeGreaterThan(0);
    expect(effect('account.segment', 'A')).toBeGreaterThan(effect('account.segment', 'C'));
    // The constant "Newsletter" column is dropped; the noise column matters less than a real driver.
    expect(info.pipeline.dropped.map((d) => d.key)).toContain('attr.Newsletter');
    const importance = (key: string) => info.importance.find((i) => i.feature === key)!.meanAbsContribution;
    expect(importance('attr.Random Score')).toBeLessThan(importance('attr.Time On Site'));
  });
});
