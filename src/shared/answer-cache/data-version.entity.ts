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
