import type { Em } from '../../src/db/orm';
import type { Identity } from '../../src/modules/auth/identity';
import { AccountSegment, RepRole } from '../../src/shared/enums';
import { Account } from '../../src/modules/account/account.entity';
import { PipelineStage } from '../../src/modules/pipeline/stage.entity';
import { ensureDefaultPipeline } from '../../src/modules/pipeline/stage.service';
import { Product } from '../../src/modules/product/product.entity';
import { Rep } from '../../src/modules/rep/rep.entity';
import { Team } from '../../src/modules/team/team.entity';
import { createTestApp, type DatabaseKind, type TestApp } from './databases';

export interface BasicWorld {
  stages: Record<string, PipelineStage>;
  team: Team;
  manager: Rep;
  ae: Rep;
  sdr: Rep;
  account: Account;
  product: Product;
}

/** A tiny named world: the default pipeline, one team with a manager, an AE and an SDR, one account, one product. */
export async function createBasicWorld(rootEm: Em): Promise<BasicWorld> {
  const em = rootEm.fork() as Em;
  const stageList = await ensureDefaultPipeline(em);
  const team = em.create(Team, { name: 'EMEA Mid-Market', region: 'EMEA' });
  const hiredAt = new Date('2023-01-02T00:00:00Z');
  const manager = em.create(Rep, { name: 'Mia Manager', email: 'mia@example.com', role: RepRole.MANAGER, team, hiredAt, active: true });
  const ae = em.create(Rep, { name: 'Alex Closer', email: 'alex@example.com', role: RepRole.AE, team, hiredAt, active: true });
  const sdr = em.create(Rep, { name: 'Sam Caller', email: 'sam@example.com', role: RepRole.SDR, team, hiredAt, active: true });
  team.manager = manager;
  const account = em.create(Account, { name: 'Acme Industrie', sector: 'Manufacturing', country: 'FR', employees: 250, segment: AccountSegment.B });
  const product = em.create(Product, { name: 'Pipewise Pro', family: 'Platform', listPriceCents: 1_200_000, unitCostCents: 300_000 });
  await em.flush();
  return { stages: Object.fromEntries(stageList.map((s) => [s.name, s])), team, manager, ae, sdr, account, product };
}

/**
 * The usual suite set-up: before the suite's tests, a fresh app with `build`'s world in its database, handed to
 * `ready`; after them, the app closed and its database dropped.
 */
export function useWorld<W>(kind: DatabaseKind, build: (em: Em) => Promise<W>, ready: (app: TestApp, world: W) => void): void {
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await createTestApp(kind);
    ready(app, await build(app.orm.em as Em));
  });
  afterAll(async () => app?.close());
}

/** The data of an operation that must succeed: any error fails the test, with its message. */
export async function dataOf<T>(app: TestApp, query: string, variables?: Record<string, unknown>, identity?: Identity): Promise<T> {
  const res = await app.execute<T>(query, variables, identity);
  expect(res.errors).toBeUndefined();
  return res.data!;
}
