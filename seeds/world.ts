import { Choice, Rng } from './random';
import { COUNTRIES, SECTORS, SECTOR_WEIGHTS, accountName, personName } from './names';
import { SEGMENTS, WORLD_TRUTH, type ProductFamily, type Segment } from './truth';
import { TableBuffer, type Sink } from './sink';
import { TABLES } from './tables';

const DAY = 86_400_000;

export interface RepInfo {
  id: number;
  role: 'SDR' | 'AE' | 'MANAGER' | 'EXEC';
  team: number;
  skill: number;
  hiredAt: number;
  /** Epoch ms after which the rep gets no new work (left the company), or Infinity. */
  leftAt: number;
}

export interface TeamInfo {
  id: number;
  name: string;
  region: string;
  segments: readonly string[];
  aes: RepInfo[];
  sdrs: RepInfo[];
}

export interface ProductInfo {
  id: number;
  name: string;
  family: ProductFamily;
  listPrice: number;
  unitCost: number;
}

/** The reference data deals are drawn against; accounts are kept as compact arrays. */
export interface World {
  start: number;
  end: number;
  teams: TeamInfo[];
  reps: RepInfo[];
  products: ProductInfo[];
  /** Account ids (1-based index + 1) grouped by segment, to draw a lead's account. */
  accountsBySegment: Record<Segment, Int32Array>;
  accountSegment: Uint8Array;
  accountTeam: Uint8Array;
  /** Team index for (region, segment). */
  teamFor(region: string, segment: Segment): number;
}

const REGIONS = Object.keys(WORLD_TRUTH.org.regionShare) as Array<keyof typeof WORLD_TRUTH.org.regionShare>;

export function accountCountFor(deals: number): number {
  return Math.max(200, Math.round(deals * 0.3));
}

/** Draws and writes teams, reps, products and accounts. */
export async function buildWorld(rng: Rng, sink: Sink, deals: number, start: number, end: number): Promise<World> {
  const org = WORLD_TRUTH.org;
  const now = new Date(end);
  const teamsBuf = new TableBuffer(TABLES.teams);
  const repsBuf = new TableBuffer(TABLES.reps);

  // Teams' expected deal shares: region share x share of the team's segments among that region's leads.
  const segShare = WORLD_TRUTH.leadFeatures.segment;
  const teamShare = org.teams.map((t) => {
    const inRegion = org.teams.filter((o) => o.region === t.region);
    const covered = (t.segments as readonly Segment[]).reduce((a, s) => a + segShare[s] / inRegion.filter((o) => (o.segments as readonly string[]).includes(s)).length, 0);
    return org.regionShare[t.region as keyof typeof org.regionShare] * covered;
  });
  const totalAes = Math.max(org.minAesPerTeam * org.teams.length, Math.round(deals / org.dealsPerAe));

  const teams: TeamInfo[] = org.teams.map((t, i) => ({ id: i + 1, name: t.name, region: t.region, segments: t.segments, aes: [], sdrs: [] }));
  const reps: RepInfo[] = [];
  let repSeq = 0;
  const historyMs = end - start;
  const newRep = (role: RepInfo['role'], team: number, veteran: boolean): RepInfo => {
    const hiredAt = veteran || rng.chance(0.7) ? start - rng.uniform(30, 4 * 365) * DAY : start + rng.uniform(0, 0.9) * historyMs;
    const leaves = !veteran && rng.chance(0.08);
    const rep: RepInfo = {
      id: ++repSeq,
      role,
      team,
      skill: role === 'AE' || role === 'SDR' ? Math.exp(WORLD_TRUTH.dealWinDrivers.repSkillSigma * rng.normal()) : 1,
      hiredAt,
      leftAt: leaves ? Math.max(hiredAt + 120 * DAY, end - rng.uniform(30, 540) * DAY) : Infinity,
    };
    reps.push(rep);
    return rep;
  };

  const exec = newRep('EXEC', -1, true);
  const managers: RepInfo[] = [];
  teams.forEach((team, ti) => {
    managers.push(newRep('MANAGER', ti, true));
    const aes = Math.max(org.minAesPerTeam, Math.round((totalAes * teamShare[ti]) / teamShare.reduce((a, b) => a + b, 0)));
    for (let k = 0; k < aes; k++) team.aes.push(newRep('AE', ti, k < org.minAesPerTeam));
    const sdrs = Math.max(1, Math.round(aes * org.sdrPerAe));
    for (let k = 0; k < sdrs; k++) team.sdrs.push(newRep('SDR', ti, k === 0));
  });

  for (const team of teams) teamsBuf.push([team.id, new Date(start - 5 * 365 * DAY), now, team.name, team.region, null]);
  await sink.write(teamsBuf);
  for (const rep of reps) {
    const name = personName(rep.id * 7 + 3);
    const email = `${name.toLowerCase().replace(/[^a-z]+/g, '.')}.${rep.id}@pipewise.example`;
    const team = rep.team >= 0 ? teams[rep.team].id : null;
    const hired = new Date(Math.round(rep.hiredAt));
    repsBuf.push([rep.id, hired, now, name, email, rep.role, team, rep.leftAt === Infinity, hired, null]);
  }
  await sink.write(repsBuf);
  for (let i = 0; i < teams.length; i++) await sink.exec('update teams set manager_id = ? where id = ?', [managers[i].id, teams[i].id]);
  void exec;

  // Products.
  const productsBuf = new TableBuffer(TABLES.products);
  const products: ProductInfo[] = WORLD_TRUTH.products.map((p, i) => ({ id: i + 1, ...p }));
  for (const p of products) productsBuf.push([p.id, new Date(start - 5 * 365 * DAY), now, p.name, p.family, p.listPrice * 100, p.unitCost * 100, null]);
  await sink.write(productsBuf);

  // Accounts.
  const count = accountCountFor(deals);
  const accountSegment = new Uint8Array(count + 1);
  const accountTeam = new Uint8Array(count + 1);
  const segmentChoice = new Choice(SEGMENTS, [0.08, 0.3, 0.62]);
  const regionChoice = Choice.of(org.regionShare);
  const sectorChoice = new Choice(SECTORS, SECTOR_WEIGHTS);
  const countryChoice = Object.fromEntries(Object.entries(COUNTRIES).map(([r, c]) => [r, new Choice(c.countries, c.weights)]));
  const teamIndex = new Map<string, number>();
  for (const region of REGIONS) {
    for (const segment of SEGMENTS) {
      const ti = teams.findIndex((t) => t.region === region && t.segments.includes(segment));
      teamIndex.set(`${region}:${segment}`, ti);
    }
  }
  const bySegment: Record<Segment, number[]> = { A: [], B: [], C: [] };
  const parentsByRegion: Record<string, number[]> = { EMEA: [], NA: [], APAC: [] };
  const accountsBuf = new TableBuffer(TABLES.accounts);
  for (let id = 1; id <= count; id++) {
    const segment = segmentChoice.draw(rng);
    const region = regionChoice.draw(rng);
    const employees =
      segment === 'A' ? Math.round(1000 + rng.lognormal(2500, 0.8)) : segment === 'B' ? rng.int(200, 999) : Math.min(199, Math.max(5, Math.round(rng.lognormal(60, 0.7))));
    const revenue = Math.round(employees * rng.lognormal(150_000, 0.45));
    let parent: number | null = null;
    if (segment !== 'A' && parentsByRegion[region].length && rng.chance(0.05)) parent = rng.pick(parentsByRegion[region]);
    if (segment === 'A') parentsByRegion[region].push(id);
    accountSegment[id] = SEGMENTS.indexOf(segment);
    accountTeam[id] = teamIndex.get(`${region}:${segment}`)!;
    bySegment[segment].push(id);
    const created = new Date(start - rng.uniform(0, 3 * 365) * DAY);
    accountsBuf.push([id, created, now, accountName(id - 1), sectorChoice.draw(rng), countryChoice[region].draw(rng), employees, revenue * 100, segment, parent, null]);
    if (accountsBuf.length >= 5000) await sink.write(accountsBuf);
  }
  await sink.write(accountsBuf);

  return {
    start,
    end,
    teams,
    reps,
    products,
    accountsBySegment: { A: Int32Array.from(bySegment.A), B: Int32Array.from(bySegment.B), C: Int32Array.from(bySegment.C) },
    accountSegment,
    accountTeam,
    teamFor: (region, segment) => teamIndex.get(`${region}:${segment}`)!,
  };
}

/** Picks a rep of the list who works at time t (hired, not left); falls back to the first (a veteran). */
export function repAt(rng: Rng, list: RepInfo[], t: number): RepInfo {
  for (let attempt = 0; attempt < 6; attempt++) {
    const rep = list[Math.floor(rng.float() * list.length)];
    if (rep.hiredAt <= t && t <= rep.leftAt) return rep;
  }
  return list.find((r) => r.hiredAt <= t && t <= r.leftAt) ?? list[0];
}
