import { DATABASES } from '../helpers/databases';
import { createAccessWorld, createSecurityTestApp, post, tokenFor, type AccessWorld, type SecurityTestApp } from '../helpers/security';
import type { Em } from '../../src/db/orm';
import { AccessRole, type Identity } from '../../src/modules/auth/identity';
import { createApiKey } from '../../src/modules/auth/api-key.service';
import { Rep } from '../../src/modules/rep/rep.entity';
import { RepRole } from '../../src/shared/enums';

const ME = `{ me { role repId teamId } deals(first: 10) { totalCount } }`;
type Me = { me: { role: string; repId: string | null; teamId: string | null }; deals: { totalCount: number } };

/**
 * Credentials name a rep; what the rep may do comes from the database (src/modules/auth/rep-identity.ts), over
 * HTTP as a client sees it. World: team A = MA, a1, a2, s1; team B = MB, b1, s2; d1 (a1), d2 (a2), d3 (b1).
 */
describe.each(DATABASES)('identity from the database on %s', (kind) => {
  describe('without an identity cache (AUTH_IDENTITY_CACHE_MS=0)', () => {
    let app: SecurityTestApp;
    let w: AccessWorld;
    let url: string;
    const as = async (identity: Identity) => ({ authorization: `Bearer ${await tokenFor(app, identity)}` });
    const setRep = async (rep: Rep, change: Partial<Pick<Rep, 'role' | 'active' | 'team'>>) => {
      const em = app.orm.em.fork() as Em;
      await em.nativeUpdate(Rep, { id: rep.id }, change as never);
    };

    beforeAll(async () => {
      app = await createSecurityTestApp(kind, { auth: { identityCacheMs: 0 } });
      w = await createAccessWorld(app.orm.em as Em);
      url = await app.listen(0, '127.0.0.1');
    });
    afterAll(async () => app?.close());

    it('uses the role and team the database holds, not the token’s', async () => {
      // A token minted when a1 was claimed to be a MANAGER of team B still acts as the AE of team A it is.
      const forged = await as({ subject: `rep:${w.reps.a1.id}`, role: AccessRole.MANAGER, repId: w.reps.a1.id, teamId: w.teams.teamB.id });
      const res = await post(url, { query: ME }, forged);
      expect(res.json?.data).toEqual({ me: { role: 'AE', repId: String(w.reps.a1.id), teamId: String(w.teams.teamA.id) }, deals: { totalCount: 1 } });
    });

    it('demotes and refuses at once when the database changes: MANAGER to AE, then inactive, then deleted', async () => {
      const em = app.orm.em.fork() as Em;
      const temp = em.create(Rep, { name: 'Tess', email: 'tess@example.com', role: RepRole.MANAGER, team: w.teams.teamA, hiredAt: new Date('2024-01-01T00:00:00Z'), active: true });
      await em.flush();
      const headers = await as({ subject: `rep:${temp.id}`, role: AccessRole.MANAGER, repId: temp.id, teamId: w.teams.teamA.id });
      expect((await post(url, { query: ME }, headers)).json?.data).toMatchObject({ me: { role: 'MANAGER' }, deals: { totalCount: 2 } });
      await setRep(temp, { role: RepRole.AE });
      expect((await post(url, { query: ME }, headers)).json?.data).toMatchObject({ me: { role: 'AE' }, deals: { totalCount: 0 } });
      await setRep(temp, { active: false });
      const inactive = await post(url, { query: ME }, headers);
      expect([inactive.status, inactive.json?.errors?.[0]?.extensions?.code]).toEqual([401, 'UNAUTHENTICATED']);
      await em.nativeDelete(Rep, { id: temp.id });
      const deleted = await post(url, { query: ME }, headers);
      expect([deleted.status, deleted.json?.errors?.[0]?.extensions?.code]).toEqual([401, 'UNAUTHENTICATED']);
    });

    it('treats API keys the same: the key’s rep, as the database holds it', async () => {
      await expect(createApiKey(app.orm.em.fork() as Em, { name: 'sync', role: AccessRole.MANAGER, repId: String(w.reps.s2.id) })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'role' } });
      const { key } = await createApiKey(app.orm.em.fork() as Em, { name: 'sync', role: AccessRole.SDR, repId: String(w.reps.s2.id) });
      const res = await post(url, { query: ME }, { authorization: `Bearer ${key}` });
      expect(res.json?.data).toEqual({ me: { role: 'SDR', repId: String(w.reps.s2.id), teamId: String(w.teams.teamB.id) }, deals: { totalCount: 0 } });
      try {
        // The key was made for an SDR; promoted in the database, the rep's key acts as the MANAGER of team B it is now.
        await setRep(w.reps.s2, { role: RepRole.MANAGER });
        expect((await post(url, { query: ME }, { authorization: `Bearer ${key}` })).json?.data).toMatchObject({ me: { role: 'MANAGER' }, deals: { totalCount: 1 } });
        await setRep(w.reps.s2, { active: false });
        expect((await post(url, { query: ME }, { authorization: `Bearer ${key}` })).status).toBe(401);
      } finally {
        await setRep(w.reps.s2, { active: true, role: RepRole.SDR });
      }
    });
  });

  describe('with the default cache (30 s) and the ADMIN mutations', () => {
    let app: SecurityTestApp;
    let w: AccessWorld;
    let url: string;
    const admin = { subject: 'admin', role: AccessRole.ADMIN, repId: null, teamId: null } as Identity;
    const adminRun = (query: string, variables: Record<string, unknown> = {}) => app.execute(query, variables, admin);

    beforeAll(async () => {
      app = await createSecurityTestApp(kind);
      expect(app.config.auth.identityCacheMs).toBe(30_000);
      w = await createAccessWorld(app.orm.em as Em);
      url = await app.listen(0, '127.0.0.1');
    });
    afterAll(async () => app?.close());

    it('creates a team and a rep, changes role and team, deactivates and reactivates, each audited; tokens follow at once on this server', async () => {
      const team = await adminRun(`mutation { createTeam(input: { name: "Team C", region: "APAC" }) { id name } }`);
      const teamId = (team.data as { createTeam: { id: string } }).createTeam.id;
      const rep = await adminRun(`mutation($t: ID) { createRep(input: { name: "Cara", email: "Cara@Example.com", role: SDR, teamId: $t }) { id email role active } }`, { t: teamId });
      expect(rep.errors).toBeUndefined();
      const cara = (rep.data as { createRep: { id: string; email: string } }).createRep;
      expect(cara.email).toBe('cara@example.com');
      const headers = { authorization: `Bearer ${await tokenFor(app, { subject: `rep:${cara.id}`, role: AccessRole.SDR, repId: Number(cara.id), teamId: Number(teamId) })}` };
      expect((await post(url, { query: ME }, headers)).json?.data).toMatchObject({ me: { role: 'SDR', teamId } }); // now cached for 30 s

      expect((await adminRun(`mutation($r: ID!) { changeRepRole(repId: $r, role: MANAGER) { role } }`, { r: cara.id })).errors).toBeUndefined();
      expect((await post(url, { query: ME }, headers)).json?.data).toMatchObject({ me: { role: 'MANAGER', teamId } });
      expect((await adminRun(`mutation($r: ID!, $t: ID) { moveRepToTeam(repId: $r, teamId: $t) { id } }`, { r: cara.id, t: String(w.teams.teamA.id) })).errors).toBeUndefined();
      expect((await post(url, { query: ME }, headers)).json?.data).toMatchObject({ me: { role: 'MANAGER', teamId: String(w.teams.teamA.id) }, deals: { totalCount: 2 } });
      // A manager of a team keeps role, team and activity until the team has another manager.
      expect((await adminRun(`mutation($t: ID!, $r: ID) { setTeamManager(teamId: $t, managerId: $r) { manager { name } } }`, { t: String(w.teams.teamA.id), r: cara.id })).data).toEqual({ setTeamManager: { manager: { name: 'Cara' } } });
      const blocked = await adminRun(`mutation($r: ID!) { deactivateRep(repId: $r) { active } }`, { r: cara.id });
      expect(blocked.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      expect((await adminRun(`mutation($t: ID!, $r: ID) { setTeamManager(teamId: $t, managerId: $r) { id } }`, { t: String(w.teams.teamA.id), r: String(w.reps.MA.id) })).errors).toBeUndefined();
      expect((await adminRun(`mutation($r: ID!) { deactivateRep(repId: $r) { active } }`, { r: cara.id })).data).toEqual({ deactivateRep: { active: false } });
      expect((await post(url, { query: ME }, headers)).status).toBe(401);
      expect((await adminRun(`mutation($r: ID!) { deactivateRep(repId: $r) { active } }`, { r: cara.id })).errors?.[0]?.extensions?.code).toBe('CONFLICT');
      expect((await adminRun(`mutation($r: ID!) { reactivateRep(repId: $r) { active } }`, { r: cara.id })).data).toEqual({ reactivateRep: { active: true } });
      expect((await post(url, { query: ME }, headers)).status).toBe(200);

      const log = await adminRun(`query($r: ID) { adminAudit(repId: $r) { action actor at before after rep { name } } }`, { r: cara.id });
      const entries = (log.data as { adminAudit: Array<{ action: string; actor: string; at: string; before: unknown; after: unknown }> }).adminAudit;
      expect(entries.map((e) => e.action).reverse()).toEqual(['CREATE_REP', 'CHANGE_REP_ROLE', 'MOVE_REP_TO_TEAM', 'SET_TEAM_MANAGER', 'DEACTIVATE_REP', 'REACTIVATE_REP']);
      expect(entries.every((e) => e.actor === 'admin' && !Number.isNaN(Date.parse(e.at)))).toBe(true);
      expect(entries.find((e) => e.action === 'CHANGE_REP_ROLE')).toMatchObject({ before: { role: 'SDR' }, after: { role: 'MANAGER' } });
    });

    it('refuses every administration mutation below ADMIN, blank names, duplicates and unknown ids, writing nothing', async () => {
      const before = await (app.orm.em.fork() as Em).count(Rep, {});
      for (const role of ['SDR', 'AE', 'MANAGER', 'EXEC'] as const) {
        const res = await app.execute(`mutation($r: ID!) { deactivateRep(repId: $r) { id } }`, { r: String(w.reps.b1.id) }, w.identities[role]);
        expect({ role, code: res.errors?.[0]?.extensions?.code }).toEqual({ role, code: 'FORBIDDEN' });
      }
      expect((await app.execute(`mutation { createTeam(input: { name: "X", region: "Y" }) { id } }`, {}, w.identities.EXEC)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await adminRun(`mutation { createTeam(input: { name: "   ", region: "EMEA" }) { id } }`)).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.name' });
      expect((await adminRun(`mutation { createTeam(input: { name: "Team A", region: "EMEA" }) { id } }`)).errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.name' });
      expect((await adminRun(`mutation { createRep(input: { name: "Dup", email: "a1@example.com", role: AE }) { id } }`)).errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.email' });
      expect((await adminRun(`mutation { changeRepRole(repId: "999999", role: AE) { id } }`)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect((await adminRun(`mutation($r: ID!) { changeRepRole(repId: $r, role: AE) { id } }`, { r: String(w.reps.MB.id) })).errors?.[0]?.extensions?.code).toBe('CONFLICT'); // manages team B
      expect(await (app.orm.em.fork() as Em).count(Rep, {})).toBe(before);
    });
  });

  it('applies a change made elsewhere (another server, the CLI) once the cache window has passed', async () => {
    const app = await createSecurityTestApp(kind, { auth: { identityCacheMs: 400 } });
    try {
      const w = await createAccessWorld(app.orm.em as Em);
      const url = await app.listen(0, '127.0.0.1');
      const headers = { authorization: `Bearer ${await tokenFor(app, w.identities.AE)}` };
      expect((await post(url, { query: ME }, headers)).status).toBe(200);
      await (app.orm.em.fork() as Em).nativeUpdate(Rep, { id: w.reps.a1.id }, { active: false });
      await new Promise((resolve) => setTimeout(resolve, 450));
      expect((await post(url, { query: ME }, headers)).status).toBe(401);
    } finally {
      await app.close();
    }
  });
});
