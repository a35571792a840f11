import { DATABASES, type TestApp } from '../helpers/databases';
import { SEEDED_WORLDS, createSeededTestApp } from '../helpers/seeded-world';
import { WORLD_TRUTH } from '../../seeds/truth';

/**
 * Truth recovery on the standard seeded world (seed 42, 3,000 deals): the engine's channel conversion follows the
 * generator's logistic source coefficients, and stage-to-stage conversion of closed cohorts is near the
 * generator's advance probabilities. Tolerances come from the binomial standard error of each count.
 */
const END = SEEDED_WORLDS.standard.end;
const ALL = { from: '2023-01-01', to: '2026-11-23', timeZone: 'UTC', asOf: END.toISOString() };
const se = (p: number, n: number) => Math.sqrt((p * (1 - p)) / n);

describe.each(DATABASES)('KPI truth recovery on %s', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createSeededTestApp(kind, 'standard');
  }, 120_000);
  afterAll(async () => app?.close());

  it('recovers the channel ordering of lead conversion', async () => {
    const res = await app.execute<{ kpi: { rows: Array<{ groups: Array<{ key: string }>; value: number; denominator: number }> } }>(
      `query($p: KpiPeriodInput!) { kpi(key: "leadToOpportunity", period: $p, groupBy: [SOURCE]) { rows { groups { key } value denominator } } }`,
      { p: ALL },
    );
    expect(res.errors).toBeUndefined();
    const by = Object.fromEntries(res.data!.kpi.rows.map((r) => [r.groups[0].key, r]));
    const coef = WORLD_TRUTH.leadModel.source;
    // Pairs whose logit gap is at least 0.9: the observed rates must differ in the same direction by > 2 SE.
    const channels = Object.keys(coef) as Array<keyof typeof coef>;
    let checked = 0;
    for (const a of channels) for (const b of channels) {
      if (coef[a] - coef[b] < 0.9) continue;
      const [ra, rb] = [by[a], by[b]];
      const gapSe = Math.hypot(se(ra.value, ra.denominator), se(rb.value, rb.denominator));
      expect({ pair: `${a} > ${b}`, ok: ra.value - rb.value > 2 * gapSe }).toEqual({ pair: `${a} > ${b}`, ok: true });
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('recovers stage advance probabilities within the sample error and the drivers spread', async () => {
    // Cohort opened at least a year before the end, so nearly every deal is closed.
    const res = await app.execute<{ kpi: { rows: Array<{ groups: Array<{ label: string }>; value: number; denominator: number }> } }>(
      `query($p: KpiPeriodInput!) { kpi(key: "stageConversion", period: $p, groupBy: [STAGE]) { rows { groups { label } value denominator } } }`,
      { p: { ...ALL, to: '2025-11-23' } },
    );
    expect(res.errors).toBeUndefined();
    for (const row of res.data!.kpi.rows) {
      const truth = WORLD_TRUTH.stageAdvance[row.groups[0].label as keyof typeof WORLD_TRUTH.stageAdvance];
      // 3 SE of the count, plus 0.08 for the deal drivers (skill, segment, size, family, source) that shift
      // every deal's logit around the "average deal" the truth describes.
      expect(Math.abs(row.value - truth)).toBeLessThan(3 * se(truth, row.denominator) + 0.08);
    }
  });
});
