import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Knex } from '@mikro-orm/knex';
import { createApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { Em } from '../../src/db/orm';
import { ModelKind } from '../../src/modules/scoring/scoring.entity';
import { ModelRegistry } from '../../src/modules/scoring/model-registry';
import { createTrainingJob, runTrainingJob } from '../../src/modules/scoring/scoring.service';
import { DATABASES, createTestDatabase, type TestDatabase } from '../helpers/databases';
import { createScoringWorld, type ScoringWorld } from '../helpers/scoring-world';

const SCORE = `score { probability score tier percentile method note modelVersion scoredAt factors { feature label contribution } }`;
const QUEUE = `query($owner: ID, $first: Int, $after: String, $filter: LeadQueueFilter) {
  leadQueue(owner: $owner, first: $first, after: $after, filter: $filter) {
    edges { cursor node { id status owner { id } } ${SCORE} }
    pageInfo { hasNextPage endCursor }
  }
}`;
const JOB = `query($id: ID!) { trainingJob(id: $id) { id version kind status active progress message algorithm
  metrics { auc prAuc logLoss brier lift10 lift20 count } calibration { from to count meanPredicted observedRate }
  baselines { name auc } featureImportance { feature label meanAbsContribution } features { key type detail } leakageWarning dataFrom dataTo } }`;

interface ScoreShape {
  probability: number;
  score: number;
  tier: string;
  percentile: number | null;
  method: string;
  note: string | null;
  modelVersion: string;
  scoredAt: string;
  factors: Array<{ feature: string; label: string; contribution: number }>;
}

async function scoringApp(db: TestDatabase, modelsDir: string): Promise<App> {
  const config = loadConfig({ NODE_ENV: 'test' }, { database: db.config, seedDemoWhenEmpty: false, modelsDir });
  return createApp(config, { logger: pino({ level: 'silent' }) });
}

describe.each(DATABASES)('scoring on %s', (kind) => {
  let db: TestDatabase;
  let app: App;
  let world: ScoringWorld;
  let modelsDir: string;
  let em: Em;

  beforeAll(async () => {
    modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-models-'));
    db = await createTestDatabase(kind);
    app = await scoringApp(db, modelsDir);
    em = app.orm.em.fork() as Em;
    world = await createScoringWorld(app.orm.em as Em, { closedLeads: 60, closedDeals: 20 });
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await db?.drop();
    fs.rmSync(modelsDir, { recursive: true, force: true });
  });

  it('serves a rule-based score with insufficient data, says so, and refuses to train', async () => {
    const res = await app.execute<{ lead: { score: ScoreShape } }>(`query($id: ID!) { lead(id: $id) { ${SCORE} } }`, { id: String(world.openLeadIds[0]) });
    expect(res.errors).toBeUndefined();
    const score = res.data!.lead.score;
    expect(score.method).toBe('RULES');
    expect(score.modelVersion).toBe('rules-lead-v1');
    expect(score.note).toMatch(/^Insufficient data for a model: \d+ converted and \d+ disqualified leads; needs at least 1000 closed with 120 converted/);
    expect(score.probability).toBeGreaterThan(0);
    expect(score.score).toBe(Math.round(score.probability * 100));

    const started = await app.execute<{ trainModel: { id: string; status: string } }>(`mutation { trainModel(kind: LEAD) { id status } }`);
    expect(started.errors).toBeUndefined();
    expect(started.data!.trainModel.status).toBe('TRAINING');
    await app.scoring.idle();
    const job = await app.execute<{ trainingJob: { status: string; message: string; active: boolean } }>(JOB, { id: started.data!.trainModel.id });
    expect(job.data!.trainingJob).toMatchObject({ status: 'FAILED', active: false });
    expect(job.data!.trainingJob.message).toMatch(/^Insufficient data for the lead model: 60 closed examples/);

    const activate = await app.execute(`mutation($v: String!) { activateModel(version: $v) { id } }`, { v: (await app.execute<{ models: Array<{ version: string }> }>(`{ models(kind: LEAD) { version } }`)).data!.models[0].version });
    expect(activate.errors?.[0].extensions?.code).toBe('CONFLICT');
  });

  describe('with enough history', () => {
    let more: ScoringWorld;
    let leadVersion: string;

    beforeAll(async () => {
      // A second, larger history in the same database (new ids), enough for both models.
      more = await createScoringWorld(app.orm.em as Em, { closedLeads: 1400, closedDeals: 460, seed: 'enough', idOffset: 10_000, world });
      const runtime = app.scoring;
      const job = await createTrainingJob(em, ModelKind.LEAD);
      const row = await runTrainingJob(runtime, job.id, { maxEpochs: 8, seed: 3 });
      expect(row.message).toBe('ready');
      leadVersion = row.version;
      await runtime.idle();
    }, 90_000);

    it('trains, evaluates and registers the lead model (first model becomes active) with its artifacts', async () => {
      const models = await app.execute<{ models: Array<{ id: string; version: string; status: string; active: boolean }> }>(`{ models(kind: LEAD) { id version status active } }`);
      const ready = models.data!.models.find((m) => m.version === leadVersion)!;
      expect(ready).toMatchObject({ status: 'READY', active: true });
      const job = await app.execute<{ trainingJob: Record<string, any> }>(JOB, { id: ready.id });
      expect(job.errors).toBeUndefined();
      const m = job.data!.trainingJob;
      expect(m.progress).toBe(1);
      expect(['logistic', 'mlp']).toContain(m.algorithm);
      // Leads convert 5 days after creation, so open leads older than 30 days (the floor) before the newest close
      // (day 100 + 1,399 × 0.4 + 5 = 664.6) count as not converted: the first world's 40 open leads (days 24–40).
      // Leads that arrived after the cut-off (day 634.6: the second world's 63 last closed ones) are left out.
      // 60 + 1,400 − 63 + 40 = 1,437 examples; the newest 15 % are held out.
      expect(m.metrics.count).toBe(1437 - Math.floor(1437 * 0.85));
      expect(m.metrics.auc).toBeGreaterThan(0.65);
      expect(m.metrics.auc).toBeGreaterThan(m.baselines.find((b: { name: string }) => b.name === 'rateBy:source').auc);
      expect(m.calibration.reduce((s: number, b: { count: number }) => s + b.count, 0)).toBe(m.metrics.count);
      expect(m.features).toEqual(expect.arrayContaining([
        { key: 'attr.Total Visits', type: 'numeric', detail: expect.stringContaining('parsed from text') },
        { key: 'attr.Newsletter', type: 'dropped', detail: 'constant' },
      ]));
      expect(m.leakageWarning).toBeNull();
      for (const file of ['model.json', 'weights.bin', 'metadata.json']) expect(fs.existsSync(path.join(modelsDir, 'lead', leadVersion, file))).toBe(true);
    });

    it("ranks an SDR's open leads by score with reasons, paging by cursor without overlap", async () => {
      const owner = String(more.sdr2.id);
      const first = await app.execute<{ leadQueue: { edges: Array<{ cursor: string; node: { id: string; status: string; owner: { id: string } }; score: ScoreShape }>; pageInfo: { hasNextPage: boolean; endCursor: string } } }>(QUEUE, { owner, first: 7 });
      expect(first.errors).toBeUndefined();
      const page1 = first.data!.leadQueue;
      expect(page1.edges).toHaveLength(7);
      expect(page1.pageInfo.hasNextPage).toBe(true);
      const second = await app.execute<typeof first.data>(QUEUE, { owner, first: 50, after: page1.pageInfo.endCursor });
      expect(second.errors).toBeUndefined();
      const page2 = second.data!.leadQueue;
      const all = [...page1.edges, ...page2.edges];
      expect(all).toHaveLength(40); // 2 × 40 open leads, every other one owned by sdr2
      expect(page2.pageInfo.hasNextPage).toBe(false);
      expect(new Set(all.map((e) => e.node.id)).size).toBe(40);
      for (const e of all) {
        expect(e.node.owner.id).toBe(owner);
        expect(['NEW', 'CONTACTED']).toContain(e.node.status);
        expect(e.score).toMatchObject({ method: 'MODEL', modelVersion: leadVersion, note: null });
        expect(e.score.factors.length).toBeGreaterThan(0);
      }
      const probabilities = all.map((e) => e.score.probability);
      expect(probabilities).toEqual([...probabilities].sort((a, b) => b - a));
      expect(all[0].score.percentile!).toBeGreaterThanOrEqual(all.at(-1)!.score.percentile!);
    });

    it('scores a lead on demand and matches the stored queue score', async () => {
      const queue = await app.execute<{ leadQueue: { edges: Array<{ node: { id: string }; score: ScoreShape }> } }>(QUEUE, { owner: String(more.sdr.id), first: 1 });
      const top = queue.data!.leadQueue.edges[0];
      const res = await app.execute<{ lead: { score: ScoreShape } }>(`query($id: ID!) { lead(id: $id) { ${SCORE} } }`, { id: top.node.id });
      expect(res.data!.lead.score.probability).toBeCloseTo(top.score.probability, 10);
      expect(res.data!.lead.score.factors).toEqual(top.score.factors);
      expect(Date.parse(res.data!.lead.score.scoredAt)).toBeGreaterThan(Date.now() - 10 * 60_000);
    });

    it('scores new and changed leads without a manual step', async () => {
      const runtime = app.scoring;
      const created = await app.execute<{ createLead: { id: string; version: number } }>(
        `mutation($input: CreateLeadInput!) { createLead(input: $input) { id version } }`,
        { input: { name: 'Hot prospect', source: 'Referral', ownerId: String(more.sdr2.id), hasNeed: true, attributes: { 'Total Visits': '14', Occupation: 'Student' } } },
      );
      expect(created.errors).toBeUndefined();
      await runtime.idle();
      const knex = em.getKnex() as unknown as Knex;
      const stored = await knex('lead_scores').where('lead_id', Number(created.data!.createLead.id)).first();
      expect(stored).toMatchObject({ method: 'MODEL', model_version: leadVersion, status: 'NEW', owner_id: more.sdr2.id });
      const before = Number(stored.probability);

      const updated = await app.execute(`mutation($id: ID!, $v: Int!) { updateLead(id: $id, version: $v, input: { source: "Paid Ads", hasNeed: false }) { id } }`, { id: created.data!.createLead.id, v: created.data!.createLead.version });
      expect(updated.errors).toBeUndefined();
      await runtime.idle();
      const after = await knex('lead_scores').where('lead_id', Number(created.data!.createLead.id)).first();
      expect(Number(after.probability)).toBeLessThan(before);
    });

    it('trains the deal model and serves Deal.winProbability; bad input is refused with the field', async () => {
      const runtime = app.scoring;
      const job = await createTrainingJob(em, ModelKind.DEAL);
      const row = await runTrainingJob(runtime, job.id, { maxEpochs: 8 });
      expect(row.message).toBe('ready');
      const openDeal = await (em.getKnex() as unknown as Knex)('deals').where('status', 'OPEN').first('id');
      const res = await app.execute<{ deal: { winProbability: ScoreShape } }>(`query($id: ID!) { deal(id: $id) { winProbability { probability method modelVersion factors { label contribution } } } }`, { id: String(openDeal.id) });
      expect(res.errors).toBeUndefined();
      expect(res.data!.deal.winProbability).toMatchObject({ method: 'MODEL', modelVersion: row.version });

      const bad = await app.execute(QUEUE, { first: 0 });
      expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
      const cursor = await app.execute(QUEUE, { first: 5, after: 'not-a-cursor' });
      expect(cursor.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      const closed = await app.execute(QUEUE, { first: 5, filter: { statuses: ['CONVERTED'] } });
      expect(closed.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.statuses' });
      const missing = await app.execute(`{ model(version: "nope") { id } }`);
      expect(missing.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    }, 60_000);

    it('a second server follows activateModel through the registry', async () => {
      const runtime = app.scoring;
      const other = new ModelRegistry(app.orm, app.config, pino({ level: 'silent' }), { checkMs: 0 });
      expect((await other.scorer(ModelKind.LEAD)).version).toBe(leadVersion);
      const job = await createTrainingJob(em, ModelKind.LEAD);
      const row = await runTrainingJob(runtime, job.id, { maxEpochs: 3, seed: 9 });
      expect(row.active).toBe(false); // a model is already active: a new one waits for activateModel
      const activated = await app.execute<{ activateModel: { version: string; active: boolean } }>(`mutation($v: String!) { activateModel(version: $v) { version active } }`, { v: row.version });
      expect(activated.data!.activateModel).toEqual({ version: row.version, active: true });
      expect((await other.scorer(ModelKind.LEAD)).version).toBe(row.version);
      await runtime.idle();
      const versions = await (em.getKnex() as unknown as Knex)('lead_scores').distinct('model_version');
      expect(versions.map((v: { model_version: string }) => v.model_version)).toEqual([row.version]);
    }, 60_000);
  });
});
