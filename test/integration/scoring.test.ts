import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import { knexOf } from '../../src/db/dialect';
import type { Em } from '../../src/db/orm';
import { KINDS } from '../../src/modules/scoring/model-kinds';
import { ModelRegistry } from '../../src/modules/scoring/model-registry';
import { loadNetwork } from '../../src/modules/scoring/network';
import { ModelScorer, type ModelMetadata } from '../../src/modules/scoring/scorer';
import { ModelKind } from '../../src/modules/scoring/scoring.entity';
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
/** Bulk scoring reads and scores this many records at a time here, so the 81 open leads take 6 chunks. */
const CHUNK = 16;

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
type QueueEdge = { cursor: string; node: { id: string; status: string; owner: { id: string } }; score: ScoreShape };
type QueueData = { leadQueue: { edges: QueueEdge[]; pageInfo: { hasNextPage: boolean; endCursor: string } } };

async function scoringApp(db: TestDatabase, modelsDir: string): Promise<App> {
  const config = loadConfig({ NODE_ENV: 'test' }, { database: db.config, seedDemoWhenEmpty: false, modelsDir });
  return createApp(config, { logger: pino({ level: 'silent' }), scoring: { chunkSize: CHUNK } });
}

/** A saved model loaded from its folder on its own, apart from the app's registry. */
async function savedModel(dir: string): Promise<ModelScorer> {
  return new ModelScorer(JSON.parse(fs.readFileSync(path.join(dir, 'metadata.json'), 'utf8')) as ModelMetadata, await loadNetwork(dir));
}

/** What a model gives records of a kind as they are in the database now. */
async function modelProbabilities(em: Em, kind: ModelKind, model: ModelScorer, ids: number[]): Promise<Map<number, number>> {
  const rows = await KINDS[kind].reader(em)({ ids }, 0, ids.length);
  const scores = model.score(rows.map((r) => r.record), { factors: false });
  return new Map(rows.map((r, i) => [r.id, scores[i].probability]));
}

describe.each(DATABASES)('scoring on %s', (kind) => {
  let db: TestDatabase;
  let app: App;
  let world: ScoringWorld;
  let modelsDir: string;
  let em: Em;
  const storedLeadScores = async (): Promise<Array<Record<string, unknown>>> => knexOf(em)('lead_scores').orderBy('lead_id').select('*');
  const wholeQueue = async () => (await app.execute<QueueData>(QUEUE, { first: 100 })).data!.leadQueue.edges;

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
    const id = world.openLeadIds[0];
    const res = await app.execute<{ lead: { score: ScoreShape } }>(`query($id: ID!) { lead(id: $id) { ${SCORE} } }`, { id: String(id) });
    expect(res.errors).toBeUndefined();
    const score = res.data!.lead.score;
    const knex = knexOf(em);
    const closed: Array<{ status: string; n: unknown }> = await knex('leads').whereIn('status', ['CONVERTED', 'DISQUALIFIED']).groupBy('status').select('status', knex.raw('count(*) as n'));
    const converted = Number(closed.find((c) => c.status === 'CONVERTED')!.n);
    const disqualified = Number(closed.find((c) => c.status === 'DISQUALIFIED')!.n);
    expect(converted + disqualified).toBe(60);
    expect(score).toMatchObject({ method: 'RULES', modelVersion: 'rules-lead-v1' });
    expect(score.note).toBe(
      `Insufficient data for a model: ${converted} converted and ${disqualified} disqualified leads; needs at least 1000 closed with 120 converted and 120 disqualified. Rule-based score.`,
    );
    // The lead rules: log-odds of the history's conversion rate minus 1, plus 0.9 for a confirmed need. Nothing else
    // is known of this lead (no budget, authority or timeline; one call, connected, no reply, no meeting).
    const { has_need: hasNeed } = await knex('leads').where('id', id).first('has_need');
    const need = hasNeed === true || Number(hasNeed) === 1;
    const rate = converted / 60;
    const probability = 1 / (1 + Math.exp(-(Math.log(rate / (1 - rate)) - 1 + (need ? 0.9 : 0))));
    expect(score.probability).toBeCloseTo(probability, 12);
    expect(score.score).toBe(Math.round(probability * 100));
    expect(score.tier).toBe(probability >= 0.5 ? 'A' : probability >= 0.3 ? 'B' : probability >= 0.15 ? 'C' : 'D');
    expect(score.factors).toEqual(need ? [{ feature: 'bant.hasNeed', label: 'Need confirmed', contribution: 0.9 }] : []);

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
    let leadModel: ModelScorer;

    beforeAll(async () => {
      // A second, larger history in the same database (new ids), enough for both models.
      more = await createScoringWorld(app.orm.em as Em, { closedLeads: 1400, closedDeals: 460, seed: 'enough', idOffset: 10_000, world });
      const job = await createTrainingJob(em, ModelKind.LEAD);
      const row = await runTrainingJob(app.scoring, job.id, { maxEpochs: 8, seed: 3 });
      expect(row.message).toBe('ready');
      leadVersion = row.version;
      await app.scoring.idle();
      leadModel = await savedModel(path.join(modelsDir, 'lead', leadVersion));
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

    it("ranks an SDR's open leads by the active model's scores with reasons, paging by cursor without overlap", async () => {
      const owner = String(more.sdr2.id);
      const first = await app.execute<QueueData>(QUEUE, { owner, first: 7 });
      expect(first.errors).toBeUndefined();
      const page1 = first.data!.leadQueue;
      expect(page1.edges).toHaveLength(7);
      expect(page1.pageInfo.hasNextPage).toBe(true);
      const second = await app.execute<QueueData>(QUEUE, { owner, first: 50, after: page1.pageInfo.endCursor });
      expect(second.errors).toBeUndefined();
      const page2 = second.data!.leadQueue;
      const all = [...page1.edges, ...page2.edges];
      expect(all).toHaveLength(40); // 2 × 40 open leads, every other one owned by sdr2
      expect(page2.pageInfo.hasNextPage).toBe(false);
      expect(new Set(all.map((e) => e.node.id)).size).toBe(40);
      const probabilities = all.map((e) => e.score.probability);
      expect(probabilities).toEqual([...probabilities].sort((a, b) => b - a));

      // Each stored score is what the saved model gives that lead's features, tiered by the model's cut-offs.
      const expected = await modelProbabilities(em, ModelKind.LEAD, leadModel, all.map((e) => Number(e.node.id)));
      const { A, B, C } = leadModel.metadata.cutoffs;
      const labels = new Map(leadModel.metadata.pipeline.features.map((f) => [f.key, f.label]));
      for (const e of all) {
        expect(e.node.owner.id).toBe(owner);
        expect(['NEW', 'CONTACTED']).toContain(e.node.status);
        expect(e.score).toMatchObject({ method: 'MODEL', modelVersion: leadVersion, note: null });
        expect(e.score.probability).toBeCloseTo(expected.get(Number(e.node.id))!, 6);
        expect(e.score.score).toBe(Math.round(e.score.probability * 100));
        expect(e.score.tier).toBe(e.score.probability >= A ? 'A' : e.score.probability >= B ? 'B' : e.score.probability >= C ? 'C' : 'D');
        // Reasons: the strongest positive factors first (at most 3, descending), then the strongest negative ones
        // (at most 3, most negative first), each a model feature labelled with the lead's value.
        const contributions = e.score.factors.map((f) => f.contribution);
        const positive = contributions.filter((c) => c > 0);
        const negative = contributions.filter((c) => c < 0);
        expect(contributions.length).toBeGreaterThan(0);
        expect(contributions).toEqual([...[...positive].sort((a, b) => b - a), ...[...negative].sort((a, b) => a - b)]);
        expect([positive.length <= 3, negative.length <= 3, contributions.every((c) => Math.abs(c) >= 0.01)]).toEqual([true, true, true]);
        for (const f of e.score.factors) expect(f.label.startsWith(`${labels.get(f.feature)}: `)).toBe(true);
      }

      // Percentile: the share of the open queue's stored scores strictly below (all of them are in the sample).
      const queue = (await knexOf(em)('lead_scores').select('probability')).map((r: { probability: unknown }) => Number(r.probability));
      expect(queue).toHaveLength(80);
      for (const e of all) expect(e.score.percentile).toBe(Math.round((1000 * queue.filter((p) => p < e.score.probability).length) / queue.length) / 10);
      const lowest = Math.min(...queue);
      expect(all.find((e) => e.score.probability === lowest)?.score.percentile ?? 0).toBe(0);
    });

    it('scores a lead on demand and matches the stored queue score', async () => {
      const queue = await app.execute<QueueData>(QUEUE, { owner: String(more.sdr.id), first: 1 });
      const top = queue.data!.leadQueue.edges[0];
      const res = await app.execute<{ lead: { score: ScoreShape } }>(`query($id: ID!) { lead(id: $id) { ${SCORE} } }`, { id: top.node.id });
      expect(res.data!.lead.score.probability).toBeCloseTo(top.score.probability, 10);
      expect(res.data!.lead.score.factors).toEqual(top.score.factors);
      expect(Date.parse(res.data!.lead.score.scoredAt)).toBeGreaterThan(Date.now() - 10 * 60_000);
    });

    it('scores new and changed leads without a manual step; a change rescores exactly that row', async () => {
      const created = await app.execute<{ createLead: { id: string; version: number } }>(
        `mutation($input: CreateLeadInput!) { createLead(input: $input) { id version } }`,
        { input: { name: 'Hot prospect', source: 'Referral', ownerId: String(more.sdr2.id), hasNeed: true, attributes: { 'Total Visits': '14', Occupation: 'Student' } } },
      );
      expect(created.errors).toBeUndefined();
      const id = Number(created.data!.createLead.id);
      await app.scoring.idle();
      const before = await storedLeadScores();
      const stored = before.find((r) => Number(r.lead_id) === id)!;
      expect(stored).toMatchObject({ method: 'MODEL', model_version: leadVersion, status: 'NEW', source: 'Referral', owner_id: more.sdr2.id });
      expect(Number(stored.probability)).toBeCloseTo((await modelProbabilities(em, ModelKind.LEAD, leadModel, [id])).get(id)!, 6);

      const updated = await app.execute(`mutation($id: ID!, $v: Int!) { updateLead(id: $id, version: $v, input: { source: "Paid Ads", hasNeed: false }) { id } }`, { id: String(id), v: created.data!.createLead.version });
      expect(updated.errors).toBeUndefined();
      await app.scoring.idle();
      const after = await storedLeadScores();
      const others = (rows: Array<Record<string, unknown>>) => rows.filter((r) => Number(r.lead_id) !== id);
      expect(others(after)).toEqual(others(before));
      const changed = after.find((r) => Number(r.lead_id) === id)!;
      expect(changed.source).toBe('Paid Ads');
      // The fixture's own model: Referral +1.6 → Paid Ads −1.2 and losing the need (−1.2) lower the odds.
      expect(Number(changed.probability)).toBeLessThan(Number(stored.probability));
      expect(Number(changed.probability)).toBeCloseTo((await modelProbabilities(em, ModelKind.LEAD, leadModel, [id])).get(id)!, 6);
    });

    it('trains the deal model and serves Deal.winProbability; bad input is refused with the field', async () => {
      const job = await createTrainingJob(em, ModelKind.DEAL);
      const row = await runTrainingJob(app.scoring, job.id, { maxEpochs: 8 });
      expect(row.message).toBe('ready');
      const openDeal = await knexOf(em)('deals').where('status', 'OPEN').orderBy('id').first('id');
      const res = await app.execute<{ deal: { winProbability: ScoreShape } }>(`query($id: ID!) { deal(id: $id) { winProbability { probability method modelVersion factors { label contribution } } } }`, { id: String(openDeal.id) });
      expect(res.errors).toBeUndefined();
      expect(res.data!.deal.winProbability).toMatchObject({ method: 'MODEL', modelVersion: row.version });
      const dealModel = await savedModel(path.join(modelsDir, row.path!));
      const expected = await modelProbabilities(em, ModelKind.DEAL, dealModel, [Number(openDeal.id)]);
      expect(res.data!.deal.winProbability.probability).toBeCloseTo(expected.get(Number(openDeal.id))!, 6);

      const bad = await app.execute(QUEUE, { first: 0 });
      expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
      const cursor = await app.execute(QUEUE, { first: 5, after: 'not-a-cursor' });
      expect(cursor.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      const closed = await app.execute(QUEUE, { first: 5, filter: { statuses: ['CONVERTED'] } });
      expect(closed.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.statuses' });
      const missing = await app.execute(`{ model(version: "nope") { id } }`);
      expect(missing.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    }, 60_000);

    describe('a newer lead model', () => {
      let other: ModelRegistry;
      let newVersion: string;

      beforeAll(() => {
        // A second server's registry over the same database (its activations do not rescore here).
        other = new ModelRegistry(app.orm, app.config, pino({ level: 'silent' }), { checkMs: 0 });
      });

      it('a second server follows activateModel through the registry, and stored scores follow the new model', async () => {
        expect((await other.scorer(ModelKind.LEAD)).version).toBe(leadVersion);
        const job = await createTrainingJob(em, ModelKind.LEAD);
        const row = await runTrainingJob(app.scoring, job.id, { maxEpochs: 3, seed: 9 });
        expect(row.active).toBe(false); // a model is already active: a new one waits for activateModel
        newVersion = row.version;
        const activated = await app.execute<{ activateModel: { version: string; active: boolean } }>(`mutation($v: String!) { activateModel(version: $v) { version active } }`, { v: row.version });
        expect(activated.data!.activateModel).toEqual({ version: row.version, active: true });
        expect((await other.scorer(ModelKind.LEAD)).version).toBe(row.version);
        await app.scoring.idle();
        const stored = await storedLeadScores();
        expect(stored).toHaveLength(81);
        expect([...new Set(stored.map((r) => r.model_version))]).toEqual([row.version]);
        const expected = await modelProbabilities(em, ModelKind.LEAD, await savedModel(path.join(modelsDir, row.path!)), stored.map((r) => Number(r.lead_id)));
        for (const r of stored) expect(Number(r.probability)).toBeCloseTo(expected.get(Number(r.lead_id))!, 6);
      }, 60_000);

      it('a queue read during a full rescore sees the whole queue of one model: the one before, until the rescore commits', async () => {
        // Back to the first model, activated by the other server: this app follows it and rescores, chunk by chunk.
        await other.activate(em.fork() as Em, leadVersion);
        app.scoring.registry.invalidate(ModelKind.LEAD);
        const before = (await wholeQueue()).map((e) => [e.node.id, e.score.probability, e.score.modelVersion]);
        expect(before).toHaveLength(81);
        expect(new Set(before.map(([, , version]) => version))).toEqual(new Set([newVersion]));
        const during: unknown[][] = [];
        const result = await app.scoring.store.rescoreAll(ModelKind.LEAD, async () => {
          during.push((await wholeQueue()).map((e) => [e.node.id, e.score.probability, e.score.modelVersion]));
        });
        expect(result).toMatchObject({ scored: 81, modelVersion: leadVersion, method: 'MODEL' });
        expect(during).toHaveLength(Math.ceil(81 / CHUNK));
        for (const read of during) expect(read).toEqual(before);
        const after = await wholeQueue();
        expect(after).toHaveLength(81);
        expect(new Set(after.map((e) => e.score.modelVersion))).toEqual(new Set([leadVersion]));
        const expected = await modelProbabilities(em, ModelKind.LEAD, leadModel, after.map((e) => Number(e.node.id)));
        for (const e of after) expect(e.score.probability).toBeCloseTo(expected.get(Number(e.node.id))!, 6);
      }, 60_000);

      it('a lead changed during a full rescore keeps the score of its change, not the older one the rescore computed', async () => {
        const id = world.openLeadIds[0]; // in the first chunk: scored by the rescore before it changes
        const { lead } = (await app.execute<{ lead: { version: number } }>(`query($id: ID!) { lead(id: $id) { version } }`, { id: String(id) })).data!;
        let changed = false;
        await app.scoring.store.rescoreAll(ModelKind.LEAD, async () => {
          if (changed) return;
          changed = true;
          const res = await app.execute(`mutation($id: ID!, $v: Int!) { updateLead(id: $id, version: $v, input: { source: "Webinar" }) { id } }`, { id: String(id), v: lead.version });
          expect(res.errors).toBeUndefined();
          await app.scoring.idle(); // the subscriber stores the changed lead's score now
        });
        const row = (await storedLeadScores()).find((r) => Number(r.lead_id) === id)!;
        expect(row.source).toBe("Webinar"); // a source the rescore never saw
        expect(Number(row.probability)).toBeCloseTo((await modelProbabilities(em, ModelKind.LEAD, leadModel, [id])).get(id)!, 6);
      }, 60_000);
    });
  });
});
