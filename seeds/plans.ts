import { Rng } from './random';
import { TableBuffer, type Sink } from './sink';
import { DAY, Tallies, monthKey, quarterKey, quarterStart } from './story';
import { TABLES } from './tables';
import { CHANNELS, WORLD_TRUTH } from './truth';
import type { RepInfo, World } from './world';

/** Monthly cost of a person on the sales team (salary and overhead, EUR). */
const MONTHLY_COST: Record<RepInfo['role'], number> = { SDR: 5_500, AE: 9_000, MANAGER: 12_000, EXEC: 20_000 };
const COMMISSION_RATE = 0.08;

const monthStart = (m: number) => Date.UTC(Math.floor(m / 12), m % 12, 1);
const activeDuring = (rep: RepInfo, from: number, to: number) => rep.hiredAt < to && rep.leftAt > from;

/**
 * Monthly spend from the first full month of the history to `end` (the last month may be partial):
 * MARKETING per inbound channel = leads of the month x cost per lead x noise; SALES for Outbound the same way
 * (SDR tooling and lists), plus SALES salaries of the people employed that month and commissions on its wins.
 */
export async function writeSpend(sink: Sink, rng: Rng, world: World, tallies: Tallies): Promise<number> {
  const buffer = new TableBuffer(TABLES.spend);
  let id = 0;
  const first = monthKey(world.start) + 1;
  const last = monthKey(world.end - 1);
  for (let m = first; m <= last; m++) {
    const from = monthStart(m);
    const to = Math.min(monthStart(m + 1), world.end);
    if (to <= from) continue;
    const fraction = (to - from) / (monthStart(m + 1) - from);
    const push = (category: string, channel: string | null, amount: number) =>
      buffer.push([++id, new Date(to), new Date(to), new Date(from), new Date(to), category, channel, Math.round(amount * 100)]);
    for (const channel of CHANNELS) {
      const leads = tallies.leadsByMonthChannel.get(`${m}|${channel}`) ?? 0;
      const amount = leads * WORLD_TRUTH.channels[channel].costPerLead * (1 + 0.08 * rng.normal());
      push(channel === 'Outbound' ? 'SALES' : 'MARKETING', channel, Math.max(0, amount));
    }
    const payroll = world.reps.filter((r) => activeDuring(r, from, to)).reduce((acc, r) => acc + MONTHLY_COST[r.role], 0) * fraction;
    push('SALES', null, payroll + COMMISSION_RATE * (tallies.wonByMonth.get(String(m)) ?? 0));
  }
  await sink.write(buffer);
  return id;
}

/**
 * Quarterly targets (see `WORLD_TRUTH.targets`): `revenue` quotas per AE, team and company; `winRate` for the
 * company; `meetingsBooked` and `callsMade` per AE and SDR. Values in KPI units (EUR, ratio, counts).
 */
export async function writeTargets(sink: Sink, rng: Rng, world: World, tallies: Tallies): Promise<number> {
  const plan = WORLD_TRUTH.targets;
  const buffer = new TableBuffer(TABLES.targets);
  let id = 0;
  const createdFor = (from: number) => new Date(from - 14 * DAY);
  const push = (kpi: string, scope: string, team: number | null, rep: number | null, from: number, to: number, value: number) =>
    buffer.push([++id, createdFor(from), createdFor(from), kpi, scope, team, rep, new Date(from), new Date(to), value, 1]);
  const quarterGrowth = Math.pow(1 + WORLD_TRUTH.yearlyGrowth, 0.25);
  const firstQ = quarterKey(world.start);
  const lastQ = quarterKey(world.end - 1);
  const currentIsPartial = quarterStart(lastQ + 1) > world.end;

  for (let q = firstQ; q <= lastQ; q++) {
    const from = quarterStart(q);
    const to = quarterStart(q + 1);
    const baseQuarter = q === lastQ && currentIsPartial ? q - 1 : q;
    const growth = baseQuarter === q ? 1 : quarterGrowth;
    let company = 0;
    world.teams.forEach((team, ti) => {
      const aes = team.aes.filter((r) => activeDuring(r, from, to));
      const revenue = (tallies.wonByTeamQuarter.get(`${ti}|${baseQuarter}`) ?? 0) * growth;
      let teamTotal = 0;
      for (const ae of aes) {
        const quota = Math.round((revenue / Math.max(1, aes.length)) * plan.quotaUplift * rng.uniform(0.9, 1.1));
        teamTotal += quota;
        push('revenue', 'REP', null, ae.id, from, to, quota);
      }
      push('revenue', 'TEAM', team.id, null, from, to, teamTotal);
      company += teamTotal;
    });
    push('revenue', 'COMPANY', null, null, from, to, company);
    push('winRate', 'COMPANY', null, null, from, to, plan.winRate);

    for (const [kind, kpi] of [['meetings', 'meetingsBooked'], ['calls', 'callsMade']] as const) {
      for (const role of ['AE', 'SDR'] as const) {
        const reps = world.reps.filter((r) => r.role === role && activeDuring(r, from, to));
        const total = reps.reduce((acc, r) => acc + (tallies.activityByRepQuarter.get(`${r.id}|${baseQuarter}|${kind}`) ?? 0), 0);
        const perRep = Math.max(1, Math.round((total / Math.max(1, reps.length)) * growth * plan.activityUplift));
        for (const rep of reps) push(kpi, 'REP', null, rep.id, from, to, perRep);
      }
    }
  }
  await sink.write(buffer);
  return id;
}
