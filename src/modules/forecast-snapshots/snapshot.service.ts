/**
 * The call over time: forecast snapshots taken on a schedule (never by reading a forecast), "the call week by
 * week" of a period, and "accuracy at week N" (the forecast at week N against what closed won).
 */
import type { Em } from '../../db/orm';
import { dateValue, dialectOf, readNumber } from '../../db/dialect';
import { toMajor, toMinor } from '../../graphql/money.scalar';
import { BadInputError } from '../../shared/errors';
import { TargetScope } from '../../shared/enums';
import { ForecastAdjustment, ForecastGroupBy, ForecastSnapshot } from '../forecast/forecast.entity';
import { getForecast } from '../forecast/forecast.service';
import { periodOrFail } from '../../shared/period';
import type { Forecast, ForecastGroup } from '../forecast/forecast.types';
import { type Period, monthPeriod, quarterPeriod, shiftPeriod } from '../../shared/period';

const WEEK_MS = 7 * 86_400_000;
/** The same settings as a default `forecast` query, so a snapshot equals what the query answered then. */
const SNAPSHOT_RUN = { simulations: 10_000, seed: 42, topDeals: 0 } as const;

export interface SnapshotScope {
  teamId?: number;
  repId?: number;
}

/** The periods a snapshot covers at an instant: its month and its quarter. */
export function currentPeriods(at: Date): Period[] {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  return [monthPeriod(y, m), quarterPeriod(y, Math.floor(m / 3))];
}

function row(period: Period, asOf: Date, groupBy: ForecastGroupBy, groupKey: number | null, g: ForecastGroup) {
  return {
    periodLabel: period.label,
    periodStart: new Date(period.start),
    periodEnd: new Date(period.end),
    asOf,
    groupBy,
    groupKey,
    expectedCents: toMinor(g.expected),
    p10Cents: toMinor(g.p10),
    p50Cents: toMinor(g.p50),
    p90Cents: toMinor(g.p90),
    pipelineCents: toMinor(g.pipeline),
    newBusinessCents: toMinor(g.newBusiness),
    closedWonCents: toMinor(g.closedWon),
    openDeals: g.openDeals,
    simulations: SNAPSHOT_RUN.simulations,
  };
}

/**
 * Stores the forecast of `period` as of `asOf` for the company, every team and (unless `teamsOnly`) every rep:
 * two forecast runs (by team, by rep), all rows in one transaction. Returns the rows written.
 */
export async function snapshotPeriod(em: Em, period: Period, asOf: Date, teamsOnly = false): Promise<number> {
  const run = (groupBy: ForecastGroupBy): Promise<Forecast> => getForecast(em, { period: period.label, groupBy, asOf, scope: {}, ...SNAPSHOT_RUN });
  const byTeam = await run(ForecastGroupBy.TEAM);
  const byRep = teamsOnly ? null : await run(ForecastGroupBy.REP);
  const rows = [row(period, asOf, ForecastGroupBy.COMPANY, null, byTeam.total)];
  for (const g of byTeam.groups) if (g.key) rows.push(row(period, asOf, ForecastGroupBy.TEAM, Number(g.key), g));
  for (const g of byRep?.groups ?? []) if (g.key) rows.push(row(period, asOf, ForecastGroupBy.REP, Number(g.key), g));
  await em.transactional(async (tx) => {
    for (const r of rows) tx.create(ForecastSnapshot, r);
  });
  return rows.length;
}

/** The scheduled job: today's snapshot of the current month and quarter. */
export async function takeForecastSnapshots(em: Em, now = new Date()): Promise<number> {
  let n = 0;
  for (const period of currentPeriods(now)) n += await snapshotPeriod(em.fork() as Em, period, now);
  return n;
}

/**
 * First run of a new installation: weekly snapshots (company and teams) of the current and the last `quarters`
 * quarters, as of each week start, from what was known then (the as-of forecast). Weeks that already have a
 * snapshot are left alone, so a backfill cut off by a shutdown is completed by the next one.
 */
export async function backfillWeeklySnapshots(em: Em, quarters: number, now = new Date(), stopped: () => boolean = () => false): Promise<number> {
  const current = currentPeriods(now)[1];
  let n = 0;
  for (let k = quarters; k >= 0; k--) {
    const period = shiftPeriod(current, k);
    const taken = await em.fork().find(ForecastSnapshot, { periodStart: new Date(period.start), periodEnd: new Date(period.end), groupBy: ForecastGroupBy.COMPANY }, { fields: ['asOf'] });
    for (let at = period.start; at < Math.min(period.end, now.getTime()) && !stopped(); at += WEEK_MS) {
      if (taken.some((s) => s.asOf.getTime() >= at && s.asOf.getTime() < at + WEEK_MS)) continue;
      n += await snapshotPeriod(em.fork() as Em, period, new Date(at), true);
    }
  }
  return n;
}

/** The stored snapshots of a period by `groupBy`, oldest first; `groups` (null: all) are the rows the caller may see. */
export function storedSnapshots(em: Em, periodText: string, groupBy: ForecastGroupBy, groups: number[] | null): Promise<ForecastSnapshot[]> {
  const period = periodOrFail(periodText);
  const where = { periodStart: new Date(period.start), periodEnd: new Date(period.end), groupBy, ...(groups && { groupKey: { $in: groups } }) };
  return em.find(ForecastSnapshot, where, { orderBy: { asOf: 'asc', id: 'asc' } });
}

function snapshotWhere(period: Period, scope: SnapshotScope) {
  const group = scope.repId != null ? { groupBy: ForecastGroupBy.REP, groupKey: scope.repId } : scope.teamId != null ? { groupBy: ForecastGroupBy.TEAM, groupKey: scope.teamId } : { groupBy: ForecastGroupBy.COMPANY, groupKey: null };
  return { periodStart: new Date(period.start), periodEnd: new Date(period.end), ...group };
}

export interface WeeklyCall {
  week: number;
  weekStart: Date;
  snapshot: ForecastSnapshot | null;
  /** The latest called amount (manager's adjustment) made before the week ended, in major units. */
  calledAmount: number | null;
}

/** One point per week of the period (up to now): the latest snapshot taken before the week ended (its asOf says when), and the call. */
export async function callByWeek(em: Em, periodText: string, scope: SnapshotScope, now = new Date()): Promise<{ period: Period; weeks: WeeklyCall[] }> {
  const period = periodOrFail(periodText);
  const [snapshots, adjustments] = await Promise.all([
    em.find(ForecastSnapshot, snapshotWhere(period, scope), { orderBy: { asOf: 'asc', id: 'asc' } }),
    em.find(ForecastAdjustment, {
      periodStart: new Date(period.start), periodEnd: new Date(period.end), amountCents: { $ne: null },
      ...(scope.repId != null ? { scope: TargetScope.REP, rep: scope.repId } : scope.teamId != null ? { scope: TargetScope.TEAM, team: scope.teamId } : { scope: TargetScope.COMPANY }),
    }, { orderBy: { createdAt: 'asc', id: 'asc' } }),
  ]);
  const weeks: WeeklyCall[] = [];
  for (let w = 0, start = period.start; start < period.end && start <= now.getTime(); w++, start += WEEK_MS) {
    const end = Math.min(start + WEEK_MS, period.end);
    const snapshot = snapshots.filter((s) => s.asOf.getTime() < end).at(-1) ?? null;
    const call = adjustments.filter((a) => a.createdAt.getTime() < end).at(-1);
    weeks.push({ week: w + 1, weekStart: new Date(start), snapshot, calledAmount: call?.amountCents == null ? null : toMajor(call.amountCents) });
  }
  return { period, weeks };
}

export interface AccuracyRow {
  period: string;
  asOf: Date | null;
  forecast: number | null;
  p10: number | null;
  p90: number | null;
  actual: number;
  /** forecast / actual; null when either is missing or the actual is 0. */
  ratio: number | null;
  absPctError: number | null;
  withinRange: boolean | null;
}

/** For each finished period: the snapshot at week N (the latest taken before the end of week N) against the won amount. */
export async function accuracyAtWeek(em: Em, periodTexts: string[], week: number, scope: SnapshotScope, now = new Date()): Promise<AccuracyRow[]> {
  if (!Number.isInteger(week) || week < 1 || week > 53) throw new BadInputError('week', 'week must be between 1 and 53');
  if (!periodTexts.length || periodTexts.length > 24) throw new BadInputError('periods', 'give 1 to 24 periods');
  const out: AccuracyRow[] = [];
  for (const [i, text] of periodTexts.entries()) {
    const period = periodOrFail(text, `periods[${i}]`);
    if (period.end > now.getTime()) throw new BadInputError(`periods[${i}]`, `${period.label} is not over: accuracy compares with what actually closed`);
    const cutoff = Math.min(period.start + week * WEEK_MS, period.end);
    const snapshot = await em.findOne(ForecastSnapshot, { ...snapshotWhere(period, scope), asOf: { $lt: new Date(cutoff) } }, { orderBy: { asOf: 'desc', id: 'desc' } });
    const actual = await wonIn(em, period, scope);
    const forecast = snapshot ? toMajor(snapshot.expectedCents) : null;
    out.push({
      period: period.label,
      asOf: snapshot?.asOf ?? null,
      forecast,
      p10: snapshot ? toMajor(snapshot.p10Cents) : null,
      p90: snapshot ? toMajor(snapshot.p90Cents) : null,
      actual,
      ratio: forecast != null && actual > 0 ? forecast / actual : null,
      absPctError: forecast != null && actual > 0 ? Math.abs(forecast - actual) / actual : null,
      withinRange: snapshot ? actual >= toMajor(snapshot.p10Cents) && actual <= toMajor(snapshot.p90Cents) : null,
    });
  }
  return out;
}

/** Won amount closed in the period by the scope's deals (current owners, like the forecast), in major units. */
async function wonIn(em: Em, period: Period, scope: SnapshotScope): Promise<number> {
  const knex = em.getKnex();
  const dialect = dialectOf(em);
  const ts = (t: number) => dateValue(dialect, t);
  const q = knex('deals as d').sum({ s: 'd.amount_cents' }).where('d.status', 'WON').where('d.closed_at', '>=', ts(period.start)).where('d.closed_at', '<', ts(period.end));
  if (scope.repId != null) q.where('d.owner_id', scope.repId);
  else if (scope.teamId != null) q.whereIn('d.owner_id', knex('reps').select('id').where('team_id', scope.teamId));
  const [{ s }] = (await em.execute(q)) as Array<{ s: number | string | null }>;
  return toMajor(readNumber(s));
}
