import pino from 'pino';
import { seedDemoWorld, type SeedOptions } from '../../seeds';
import { createTestApp, type DatabaseKind, type TestApp } from './databases';
import { cachedDatabase, type TestDatabase } from './templates';

/**
 * The seeded demo worlds the suites share: a few fixed presets, each seeded once per jest run and database kind
 * (test/helpers/templates.ts), every suite working on its own copy. A suite names the preset it reads; the seed
 * options are exported so a test can recompute the generator's truth (`repSkills(SEEDED_WORLDS.standard)`).
 */
export const SEEDED_WORLDS = {
  /** The default: 3,000 deals give the truth checks standard errors of a few points; still quick to query. */
  standard: { seed: 42, deals: 3000, end: new Date('2026-11-23T00:00:00Z') },
  /** For suites that touch every deal (an export and re-import of the whole world) or only need "a seeded database". */
  small: { seed: 7, deals: 600, end: new Date('2026-11-23T00:00:00Z') },
  /**
   * For the forecast estimators' truth and backtests (SQLite: they are dialect-free): monthly backtests need
   * 9,000 deals of history for the model to separate from the baselines by more than the noise.
   */
  large: { seed: 11, deals: 9000, end: new Date('2026-10-01T00:00:00Z') },
} as const satisfies Record<string, SeedOptions>;

export type SeededWorld = keyof typeof SEEDED_WORLDS;

/** A private copy of a seeded world: yours to write to (drop it when done). */
export function seededDatabase(kind: DatabaseKind, world: SeededWorld): Promise<TestDatabase> {
  return cachedDatabase(kind, `world_${world}`, async (orm) => {
    await seedDemoWorld(orm, { ...SEEDED_WORLDS[world], logger: pino({ level: 'silent' }) });
  });
}

/** A full app over a private copy of a seeded world (dropped on close). */
export async function createSeededTestApp(kind: DatabaseKind, world: SeededWorld): Promise<TestApp> {
  return createTestApp(kind, { db: await seededDatabase(kind, world) });
}
