import { Entity, Index, Property } from '@mikro-orm/core';
import { BaseEntity } from '../../shared/base.entity';
import type { AttributeType, EntityCounts, ImportReport } from './report';

/**
 * One committed import: its mapping, counts, the detected lead attribute types (numeric vs categorical,
 * read by scoring to encode Lead.attributes) and the full report. Dry runs and aborted imports write nothing,
 * this row included.
 */
@Entity({ tableName: 'import_runs' })
@Index({ properties: ['createdAt'] })
export class ImportRun extends BaseEntity {
  @Property({ type: 'string', length: 20 })
  status!: string;

  @Property({ type: 'json' })
  mapping!: Record<string, unknown>;

  @Property({ type: 'json' })
  counts!: EntityCounts[];

  @Property({ type: 'json' })
  attributeTypes!: AttributeType[];

  @Property({ type: 'integer' })
  rejectedRows!: number;

  @Property({ type: 'integer' })
  durationMs!: number;

  /** The report as returned (rejected rows capped at MAX_REJECTED, warnings grouped). */
  @Property({ type: 'json' })
  report!: ImportReport;
}
