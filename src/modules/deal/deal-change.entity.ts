import { DateTimeType, Entity, Enum, Index, ManyToOne, Property, type Rel } from '@mikro-orm/core';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { BaseEntity } from '../../shared/base.entity';
import { Rep } from '../rep/rep.entity';
import { Deal } from './deal.entity';

/** The deal fields whose history is kept (what forecasts as of a past date and pipeline movement read). */
export enum DealField {
  AMOUNT = 'AMOUNT',
  EXPECTED_CLOSE_DATE = 'EXPECTED_CLOSE_DATE',
  STAGE = 'STAGE',
  OWNER = 'OWNER',
  STATUS = 'STATUS',
  FORECAST_CATEGORY = 'FORECAST_CATEGORY',
}
registerEnumType(DealField, { name: 'DealField', description: 'A deal field whose changes are recorded.' });

/** Which writer made a change: the API (a person or a service account), a CRM import, or the demo seed. */
export enum ChangeSource { API = 'API', IMPORT = 'IMPORT', SEED = 'SEED' }
registerEnumType(ChangeSource, { name: 'ChangeSource', description: 'Which writer recorded a deal change.' });

/**
 * One change of one tracked deal field, old -> new. Values are stored as text: amounts in cents, dates as ISO
 * 8601 instants, stage and owner as ids, status and category as their enum names; null means "not set".
 */
@ObjectType({ description: "One change of a deal's amount, expected close date, stage, owner, status or forecast category." })
@Entity({ tableName: 'deal_changes' })
@Index({ properties: ['deal', 'at'] })
@Index({ properties: ['field', 'at'] })
// Forecast facts read a range of deals' amount, close-date, owner and category changes in (deal, time, id) order from this
// partial index alone (migration ..._forecast_revisions_index; the same statement on both dialects).
@Index({
  name: 'deal_changes_revisions_index',
  expression:
    "create index deal_changes_revisions_index on deal_changes (deal_id, at, id, field, old_value) where field in ('AMOUNT', 'EXPECTED_CLOSE_DATE', 'OWNER', 'FORECAST_CATEGORY')",
})
export class DealChange extends BaseEntity {
  @ManyToOne(() => Deal, { deleteRule: 'cascade' })
  deal!: Rel<Deal>;

  @Field(() => DealField)
  @Enum({ items: () => DealField })
  field!: DealField;

  @Property({ type: 'text', nullable: true })
  oldValue?: string | null;

  @Property({ type: 'text', nullable: true })
  newValue?: string | null;

  @Field(() => Date, { description: 'When the change took effect (for a stage move or a close: the move or close date).' })
  @Property({ type: DateTimeType })
  at!: Date;

  /** The rep who made the change; null for the system, a service account or an import. */
  @ManyToOne(() => Rep, { nullable: true, deleteRule: 'set null' })
  by?: Rel<Rep> | null;

  @Field(() => ChangeSource)
  @Enum({ items: () => ChangeSource })
  source!: ChangeSource;
}
