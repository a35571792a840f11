/** The manager's side of a forecast: called amounts and deal category overrides, each with its author and note. */
import type { Em } from '../../db/orm';
import { toMinor } from '../../graphql/money.scalar';
import { BadInputError } from '../../shared/errors';
import { TargetScope } from '../../shared/enums';
import { assertVersion, findOrFail } from '../../shared/ids';
import { periodOrFail } from '../../shared/period';
import { requiredText } from '../../shared/validation';
import { Deal } from '../deal/deal.entity';
import { trackDealChanges } from '../deal/deal-history';
import { Rep } from '../rep/rep.entity';
import { Team } from '../team/team.entity';
import { ForecastAdjustment } from './forecast.entity';
import type { AdjustForecastInput, OverrideDealCategoryInput } from './forecast.inputs';

/** `authorId` is the caller's rep (never a client argument: nobody writes in someone else's name). */
export async function adjustForecast(em: Em, input: AdjustForecastInput, authorId: number): Promise<ForecastAdjustment> {
  const period = periodOrFail(input.period, 'input.period');
  return em.transactional(async (tx) => {
    const author = await tx.findOneOrFail(Rep, authorId);
    let team: Team | null = null;
    let rep: Rep | null = null;
    if (input.scope === TargetScope.TEAM) {
      if (input.teamId == null) throw new BadInputError('input.teamId', 'TEAM scope needs teamId');
      team = await findOrFail(tx, Team, input.teamId, 'input.teamId');
    } else if (input.scope === TargetScope.REP) {
      if (input.repId == null) throw new BadInputError('input.repId', 'REP scope needs repId');
      rep = await findOrFail(tx, Rep, input.repId, 'input.repId');
    }
    return tx.create(ForecastAdjustment, {
      periodLabel: period.label,
      periodStart: new Date(period.start),
      periodEnd: new Date(period.end),
      scope: input.scope,
      team,
      rep,
      deal: null,
      amountCents: toMinor(input.amount),
      category: null,
      previousCategory: null,
      note: requiredText(input.note, 'input.note', 2000),
      author,
    });
  });
}

/** Sets (or clears) a deal's forecast category and records who did it, when and why, in one transaction. */
export async function overrideDealCategory(em: Em, input: OverrideDealCategoryInput, authorId: number): Promise<ForecastAdjustment> {
  const period = periodOrFail(input.period, 'input.period');
  return em.transactional(async (tx) => {
    const [deal, author] = await Promise.all([findOrFail(tx, Deal, input.dealId, 'input.dealId'), tx.findOneOrFail(Rep, authorId)]);
    assertVersion(deal, input.version, 'Deal');
    trackDealChanges(deal, { by: author.id });
    if (deal.closedAt) throw new BadInputError('input.dealId', 'The deal is closed: its category no longer matters');
    const previous = deal.forecastCategory ?? null;
    deal.forecastCategory = input.category ?? null;
    return tx.create(ForecastAdjustment, {
      periodLabel: period.label,
      periodStart: new Date(period.start),
      periodEnd: new Date(period.end),
      scope: TargetScope.REP,
      team: null,
      rep: deal.owner ?? null,
      deal,
      amountCents: null,
      category: input.category ?? null,
      previousCategory: previous,
      note: requiredText(input.note, 'input.note', 2000),
      author,
    });
  });
}
