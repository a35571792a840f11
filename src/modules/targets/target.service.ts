import type { Em } from '../../db/orm';
import { BadInputError } from '../../shared/errors';
import { TargetScope } from '../../shared/enums';
import { assertVersion, findOrFail } from '../../shared/ids';
import { Rep } from '../rep/rep.entity';
import { Team } from '../team/team.entity';
import { isKpiKey } from '../kpi/catalogue';
import { Target } from './target.entity';
import { AccessScope } from '../auth/access.policy';
import { assertCanChangeTargets, assertCanSetTarget } from '../auth/targets.policy';
import type { CreateTargetInput, UpdateTargetInput } from './target.inputs';

function checkPeriodAndValue(start: Date, end: Date, value: number) {
  if (!(end > start)) throw new BadInputError('periodEnd', 'periodEnd must be after periodStart');
  if (end.getTime() - start.getTime() > 5 * 366 * 86_400_000) throw new BadInputError('periodEnd', 'A target period is at most 5 years');
  if (!Number.isFinite(value) || Math.abs(value) > 1e13) throw new BadInputError('value', 'value must be a finite number');
}

export async function createTarget(em: Em, input: CreateTargetInput, access = AccessScope.system()): Promise<Target> {
  await assertCanSetTarget(em, access, input);
  if (!isKpiKey(input.kpiKey)) throw new BadInputError('kpiKey', `Unknown KPI "${input.kpiKey}"`);
  checkPeriodAndValue(input.periodStart, input.periodEnd, input.value);
  return em.transactional(async (tx) => {
    let team: Team | null = null;
    let rep: Rep | null = null;
    if (input.scope === TargetScope.TEAM) {
      if (!input.teamId) throw new BadInputError('teamId', 'A TEAM target needs teamId');
      team = await findOrFail(tx, Team, input.teamId, 'teamId');
    } else if (input.teamId) throw new BadInputError('teamId', `teamId only goes with TEAM scope`);
    if (input.scope === TargetScope.REP) {
      if (!input.repId) throw new BadInputError('repId', 'A REP target needs repId');
      rep = await findOrFail(tx, Rep, input.repId, 'repId');
    } else if (input.repId) throw new BadInputError('repId', `repId only goes with REP scope`);
    return tx.create(Target, { ...input, team, rep } as never);
  });
}

export async function updateTarget(em: Em, id: string, version: number, input: UpdateTargetInput, access = AccessScope.system()): Promise<Target> {
  assertCanChangeTargets(access);
  return em.transactional(async (tx) => {
    const target = await access.findOrFail(tx, Target, id, 'id');
    await assertCanSetTarget(tx, access, { scope: target.scope, teamId: target.team ? String(target.team.id) : undefined, repId: target.rep ? String(target.rep.id) : undefined });
    assertVersion(target, version, 'Target');
    const start = input.periodStart ?? target.periodStart;
    const end = input.periodEnd ?? target.periodEnd;
    const value = input.value ?? target.value;
    checkPeriodAndValue(start, end, value);
    Object.assign(target, { periodStart: start, periodEnd: end, value });
    return target;
  });
}
