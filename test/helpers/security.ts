import fs from 'node:fs';
import pino, { type Logger } from 'pino';
import { createApp, type App, type AppOptions } from '../../src/app';
import { loadConfig, type AppConfig } from '../../src/config';
import type { Em } from '../../src/db/orm';
import { AccessRole, type Identity } from '../../src/modules/auth/identity';
import { tokenSettings } from '../../src/modules/auth/authenticate';
import { signToken } from '../../src/modules/auth/token.service';
import { Account } from '../../src/modules/account/account.entity';
import { Activity } from '../../src/modules/activity/activity.entity';
import { Deal } from '../../src/modules/deal/deal.entity';
import { DealStageChange } from '../../src/modules/deal/stage-change.entity';
import { Lead } from '../../src/modules/lead/lead.entity';
import { Order } from '../../src/modules/order/order.entity';
import { ensureDefaultPipeline } from '../../src/modules/pipeline/stage.service';
import { Product } from '../../src/modules/product/product.entity';
import { Rep } from '../../src/modules/rep/rep.entity';
import { Target } from '../../src/modules/targets/target.entity';
import { Team } from '../../src/modules/team/team.entity';
import { ActivityOutcome, ActivityType, DealStatus, LeadStatus, RepRole, TargetScope } from '../../src/shared/enums';
import { createMigratedTestDatabase, createTestDatabase, tempModelsDir, type DatabaseKind, type TestDatabase } from './databases';

export interface SecurityTestApp extends App {
  kind: DatabaseKind;
  db: TestDatabase;
  close(): Promise<void>;
}

type Overrides = Partial<Omit<AppConfig, 'limits' | 'auth'>> & { limits?: Partial<AppConfig['limits']>; auth?: Partial<AppConfig['auth']> };

/** A full app over a fresh database (or the given one), with config overrides (limits, auth, Redis) and a chosen logger. */
export async function createSecurityTestApp(
  kind: DatabaseKind,
  overrides: Overrides = {},
  options: AppOptions & { db?: TestDatabase; logger?: Logger } = {},
): Promise<SecurityTestApp> {
  const db = options.db ?? (await (options.migrate === false ? createTestDatabase(kind) : createMigratedTestDatabase(kind)));
  const ownModelsDir = overrides.modelsDir ? null : tempModelsDir();
  const base = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'test-secret-for-security-tests-0123456789' });
  const config = loadConfig(
    { NODE_ENV: 'test', JWT_SECRET: 'test-secret-for-security-tests-0123456789' },
    {
      ...overrides,
      modelsDir: overrides.modelsDir ?? ownModelsDir!,
      database: db.config,
      seedDemoWhenEmpty: false,
      limits: { ...base.limits, rateLimitPerMinute: 0, ipRateLimitPerMinute: 0, ...overrides.limits },
      auth: { ...base.auth, ...overrides.auth },
    },
  );
  const app = await createApp(config, { logger: options.logger ?? pino({ level: 'silent' }), migrate: options.migrate, plugins: options.plugins });
  return Object.assign(app, {
    kind,
    db,
    async close() {
      await app.stop();
      if (!options.db) await db.drop();
      if (ownModelsDir) fs.rmSync(ownModelsDir, { recursive: true, force: true });
    },
  });
}

export const tokenFor = (app: App, identity: Identity, ttl?: string) => signToken(tokenSettings(app.config.auth), identity, ttl);

/** POSTs one operation to a listening app; returns status, headers and parsed body. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: { data?: Record<string, unknown> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }>; extensions?: Record<string, unknown> } | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * Two teams, hand-made so every role's slice can be written down:
 *  team A: manager MA, AEs a1 and a2, SDR s1.   team B: manager MB, AE b1, SDR s2.   exec X (no team).
 *  accounts: acc1 (deal d1 of a1, order o1), acc2 (deal d2 of a2), acc3 (deal d3 of b1), acc4 (lead l1 of s1 only).
 *  leads: l1 (s1, acc4), l2 (s2), l3 (a1).   activities: act1 (s1 on l1), act2 (a1 on d1), act3 (b1 on d3), act4 (s2 on l2).
 *  targets: company, team A, rep a1, team B.
 */
export async function createAccessWorld(rootEm: Em) {
  const em = rootEm.fork() as Em;
  const stages = await ensureDefaultPipeline(em);
  const first = stages[0];
  const hiredAt = new Date('2023-01-02T00:00:00Z');
  const teamA = em.create(Team, { name: 'Team A', region: 'EMEA' });
  const teamB = em.create(Team, { name: 'Team B', region: 'NA' });
  const rep = (name: string, role: RepRole, team: Team | null) =>
    em.create(Rep, { name, email: `${name.toLowerCase()}@example.com`, role, team, hiredAt, active: true });
  const MA = rep('MA', RepRole.MANAGER, teamA);
  const a1 = rep('A1', RepRole.AE, teamA);
  const a2 = rep('A2', RepRole.AE, teamA);
  const s1 = rep('S1', RepRole.SDR, teamA);
  const MB = rep('MB', RepRole.MANAGER, teamB);
  const b1 = rep('B1', RepRole.AE, teamB);
  const s2 = rep('S2', RepRole.SDR, teamB);
  const X = rep('X', RepRole.EXEC, null);
  teamA.manager = MA;
  teamB.manager = MB;
  const account = (name: string) => em.create(Account, { name });
  const [acc1, acc2, acc3, acc4] = ['Acc1', 'Acc2', 'Acc3', 'Acc4'].map(account);
  const product = em.create(Product, { name: 'Pro', family: 'Platform', listPriceCents: 100_000, unitCostCents: 40_000 });
  const now = new Date('2026-01-15T00:00:00Z');
  const deal = (name: string, owner: Rep, acc: Account) => {
    const d = em.create(Deal, { name, owner, account: acc, product, amountCents: 500_000, currency: 'EUR', stage: first, status: DealStatus.OPEN, openedAt: now, stageEnteredAt: now });
    em.create(DealStageChange, { deal: d, fromStage: null, toStage: first, at: now, by: owner, inferred: false });
    return d;
  };
  const d1 = deal('D1', a1, acc1);
  const d2 = deal('D2', a2, acc2);
  const d3 = deal('D3', b1, acc3);
  const lead = (name: string, owner: Rep, acc: Account | null) =>
    em.create(Lead, { name, email: `${name.toLowerCase()}@prospect.example`, owner, account: acc, status: LeadStatus.NEW, attributes: {} });
  const l1 = lead('L1', s1, acc4);
  const l2 = lead('L2', s2, null);
  const l3 = lead('L3', a1, null);
  const activity = (by: Rep, on: { lead?: Lead; deal?: Deal }) =>
    em.create(Activity, { type: ActivityType.CALL, outcome: ActivityOutcome.CONNECTED, rep: by, lead: on.lead ?? null, deal: on.deal ?? null, at: now });
  const act1 = activity(s1, { lead: l1 });
  const act2 = activity(a1, { deal: d1 });
  const act3 = activity(b1, { deal: d3 });
  const act4 = activity(s2, { lead: l2 });
  const o1 = em.create(Order, { account: acc1, product, deal: d1, amountCents: 500_000, costCents: 200_000, orderedAt: now });
  const period = { kpiKey: 'revenue', periodStart: new Date('2026-01-01T00:00:00Z'), periodEnd: new Date('2026-04-01T00:00:00Z'), value: 100000, version: 1 };
  const tCompany = em.create(Target, { ...period, scope: TargetScope.COMPANY, team: null, rep: null });
  const tTeamA = em.create(Target, { ...period, scope: TargetScope.TEAM, team: teamA, rep: null });
  const tRepA1 = em.create(Target, { ...period, scope: TargetScope.REP, team: null, rep: a1 });
  const tTeamB = em.create(Target, { ...period, scope: TargetScope.TEAM, team: teamB, rep: null });
  await em.flush();
  const id = (e: { id: number }) => String(e.id);
  const identity = (r: Rep, role: AccessRole): Identity => ({ subject: `rep:${r.id}`, role, repId: r.id, teamId: r.team?.id ?? null });
  return {
    stages,
    teams: { teamA, teamB },
    reps: { MA, a1, a2, s1, MB, b1, s2, X },
    accounts: { acc1, acc2, acc3, acc4 },
    product,
    deals: { d1, d2, d3 },
    leads: { l1, l2, l3 },
    activities: { act1, act2, act3, act4 },
    orders: { o1 },
    targets: { tCompany, tTeamA, tRepA1, tTeamB },
    id,
    identities: {
      SDR: identity(s1, AccessRole.SDR),
      AE: identity(a1, AccessRole.AE),
      MANAGER: identity(MA, AccessRole.MANAGER),
      EXEC: identity(X, AccessRole.EXEC),
      ADMIN: { subject: 'admin', role: AccessRole.ADMIN, repId: null, teamId: null } as Identity,
    },
  };
}

export type AccessWorld = Awaited<ReturnType<typeof createAccessWorld>>;
