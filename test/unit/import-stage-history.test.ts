import { buildStageHistory, type HistoryInput, type HistoryStage } from '../../src/modules/import/stage-history';

// The default pipeline: five open stages, then Won and Lost.
const open: HistoryStage[] = [1, 2, 3, 4, 5].map((id) => ({ id, position: id, isWon: false, isLost: false }));
const [prospecting, qualification, demo, proposal] = open;
const won: HistoryStage = { id: 6, position: 6, isWon: true, isLost: false };
const lost: HistoryStage = { id: 7, position: 7, isWon: false, isLost: true };
const d = (day: string) => new Date(`2024-${day}T00:00:00Z`);

const history = (input: Partial<HistoryInput> & { stage: HistoryStage }) => {
  const h = buildStageHistory({ openStages: open, openedAt: null, closedAt: null, stageDates: new Map(), stageAtLoss: null, ...input });
  return { ...h, path: h.steps.map((s) => `${s.from?.id ?? '-'}>${s.to.id}@${s.at.toISOString().slice(0, 10)}${s.inferred ? '' : '*'}`) };
};

describe('stage history from an export without one', () => {
  it('takes a won deal through every open stage, dated evenly between created and closed', () => {
    const h = history({ stage: won, openedAt: d('01-01'), closedAt: d('01-31') });
    expect(h.path).toEqual(['->1@2024-01-01', '1>2@2024-01-07', '2>3@2024-01-13', '3>4@2024-01-19', '4>5@2024-01-25', '5>6@2024-01-31']);
    expect([h.stageHistoryKnown, h.stageEnteredAt, h.inferences.sort()]).toEqual([true, d('01-31'), ['FIRST_STAGE_AT_CREATED', 'WON_THROUGH_OPEN_STAGES']]);
  });

  it('records a lost deal with no stage at loss as unknown: first stage at created, then the loss', () => {
    const h = history({ stage: lost, openedAt: d('02-01'), closedAt: d('03-01') });
    expect(h.path).toEqual(['->1@2024-02-01', '1>7@2024-03-01']);
    expect(h.stageHistoryKnown).toBe(false);
    expect(h.inferences).toContain('LOST_STAGE_UNKNOWN');
  });

  it('takes a lost deal up to its stage at loss, and knows it', () => {
    const h = history({ stage: lost, openedAt: d('02-01'), closedAt: d('02-10'), stageAtLoss: demo });
    expect(h.path).toEqual(['->1@2024-02-01', '1>2@2024-02-04', '2>3@2024-02-07', '3>7@2024-02-10']);
    expect([h.stageHistoryKnown, h.inferences.sort()]).toEqual([true, ['FIRST_STAGE_AT_CREATED', 'LOST_THROUGH_STAGES_TO_LOSS']]);
  });

  it('uses per-stage entry dates; a blank in a mapped column means the stage was skipped', () => {
    // Columns for every open stage: the last dated one is where the lost deal stopped, so it is known.
    const all = new Map<number, Date | null>([[1, d('01-01')], [2, d('01-05')], [3, null], [4, d('01-20')], [5, null]]);
    const h = history({ stage: lost, openedAt: d('01-01'), closedAt: d('02-01'), stageDates: all });
    expect(h.path).toEqual(['->1@2024-01-01*', '1>2@2024-01-05*', '2>4@2024-01-20*', '4>7@2024-02-01']);
    expect([h.stageHistoryKnown, h.inferences]).toEqual([true, []]);
    // Only an "engaged" column (Qualification): the stages after it have no column, so a loss there is unknown.
    const engaged = new Map<number, Date | null>([[2, d('01-05')]]);
    const u = history({ stage: lost, openedAt: d('01-01'), closedAt: d('02-01'), stageDates: engaged });
    expect(u.path).toEqual(['->1@2024-01-01', '1>2@2024-01-05*', '2>7@2024-02-01']);
    expect(u.stageHistoryKnown).toBe(false);
    // The same column on a won deal: the stages without a column are inferred between the dates around them.
    const w = history({ stage: won, openedAt: d('01-01'), closedAt: d('01-29'), stageDates: engaged });
    expect(w.path).toEqual(['->1@2024-01-01', '1>2@2024-01-05*', '2>3@2024-01-11', '3>4@2024-01-17', '4>5@2024-01-23', '5>6@2024-01-29']);
  });

  it('keeps an open deal in its current stage from its created date, or from its stage date', () => {
    expect(history({ stage: proposal, openedAt: d('03-01') }).path).toEqual(['->4@2024-03-01']);
    const dated = history({ stage: proposal, openedAt: d('03-01'), stageDates: new Map([[4, d('03-09')]]) });
    expect([dated.path, dated.stageEnteredAt]).toEqual([['->1@2024-03-01', '1>4@2024-03-09*'], d('03-09')]);
    const undated = history({ stage: qualification });
    expect([undated.path, undated.stageEnteredAt, undated.stageHistoryKnown]).toEqual([[], null, true]);
  });

  it('does not date a close it does not know, and clamps stage dates that run backwards', () => {
    const noClose = history({ stage: won, openedAt: d('01-01') });
    expect(noClose.path).toEqual(['->1@2024-01-01', '1>2@2024-01-01', '2>3@2024-01-01', '3>4@2024-01-01', '4>5@2024-01-01']);
    const backwards = history({ stage: won, openedAt: d('01-01'), closedAt: d('01-31'), stageDates: new Map([[prospecting.id, d('01-01')], [2, d('01-20')], [3, d('01-10')], [4, d('01-25')], [5, d('01-26')]]) });
    expect(backwards.outOfOrder).toBe(true);
    expect(backwards.path).toEqual(['->1@2024-01-01*', '1>2@2024-01-20*', '2>3@2024-01-20*', '3>4@2024-01-25*', '4>5@2024-01-26*', '5>6@2024-01-31']);
  });
});
