import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One counter per table that cached answers read (deals, targets, ...): every writer bumps the counters of the
 * tables it wrote in its own transaction (src/shared/answer-cache/data-versions.ts), so an answer cached under the
 * versions it was computed at is never served once one of them has moved, by any process or instance. The row
 * `*database` holds a random number drawn when the database was created: answers shared through Redis are keyed
 * by it, so two databases never share an answer.
 */
@Entity({ tableName: 'data_versions' })
export class DataVersion {
  @PrimaryKey({ type: 'string', length: 64 })
  tableName!: string;

  @Property({ type: 'integer' })
  version!: number;
}

/**
 * The deals one bump of a deal table's version wrote (deals, deal_changes, deal_stage_changes), written in the
 * same transaction as the bump: a reader holding the forecast's facts at an older version re-reads only those deals
 * (src/modules/forecast/fact-patch.ts) when every version since its own has its row. Bulk writers (the import, the
 * seed) bump without one, so their readers load everything again; old rows are pruned as versions move on.
 */
@Entity({ tableName: 'data_version_touches' })
export class DataVersionTouch {
  @PrimaryKey({ type: 'string', length: 64 })
  tableName!: string;

  @PrimaryKey({ type: 'integer' })
  version!: number;

  /** The deal ids, ascending, comma-separated; '*' when there were too many to list. */
  @Property({ type: 'text' })
  dealIds!: string;
}
