import { BigIntType, DateTimeType, Entity, Enum, Index, ManyToOne, OptionalProps, Property, type Rel } from '@mikro-orm/core';
import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { BaseEntity } from '../../shared/base.entity';
import { ForecastCategory, TargetScope } from '../../shared/enums';
import { MoneyScalar, toMajor } from '../../graphql/money.scalar';
import { Deal } from '../deal/deal.entity';
import { Rep } from '../rep/rep.entity';
import { Team } from '../team/team.entity';

export enum ForecastGroupBy { COMPANY = 'COMPANY', TEAM = 'TEAM', REP = 'REP', PRODUCT = 'PRODUCT' }
registerEnumType(ForecastGroupBy, { name: 'ForecastGroupBy', description: 'How a forecast is broken down.' });

/** The forecast as computed for a current period, kept so its accuracy can be tracked once the period is over. */
@ObjectType({ description: 'A forecast computed for a period while it was current, kept to track accuracy over time.' })
@Entity({ tableName: 'forecast_snapshots' })
@Index({ properties: ['periodStart', 'groupBy'] })
export class ForecastSnapshot extends BaseEntity {
  [OptionalProps]?: 'expected' | 'p10' | 'p50' | 'p90' | 'pipeline' | 'newBusiness' | 'closedWon' | 'createdAt' | 'updatedAt';

  @Field({ description: 'e.g. "2026-Q4" or "2026-11".' })
  @Property({ type: 'string', length: 40 })
  periodLabel!: string;

  @Field(() => Date)
  @Property({ type: DateTimeType })
  periodStart!: Date;

  @Field(() => Date)
  @Property({ type: DateTimeType })
  periodEnd!: Date;

  @Field(() => Date)
  @Property({ type: DateTimeType })
  asOf!: Date;

  @Field(() => ForecastGroupBy)
  @Enum({ items: () => ForecastGroupBy })
  groupBy!: ForecastGroupBy;

  @Field(() => String, { nullable: true, description: 'Id of the team, rep or product; null for the company.' })
  @Property({ type: 'integer', nullable: true })
  groupKey?: number | null;

  @Property({ type: new BigIntType('number') }) expectedCents!: number;
  @Property({ type: new BigIntType('number'), fieldName: 'p10_cents' }) p10Cents!: number;
  @Property({ type: new BigIntType('number'), fieldName: 'p50_cents' }) p50Cents!: number;
  @Property({ type: new BigIntType('number'), fieldName: 'p90_cents' }) p90Cents!: number;
  @Property({ type: new BigIntType('number') }) pipelineCents!: number;
  @Property({ type: new BigIntType('number') }) newBusinessCents!: number;
  @Property({ type: new BigIntType('number') }) closedWonCents!: number;

  @Field(() => Int)
  @Property({ type: 'integer' })
  openDeals!: number;

  @Field(() => Int)
  @Property({ type: 'integer' })
  simulations!: number;

  @Field(() => MoneyScalar) get expected() { return toMajor(this.expectedCents); }
  @Field(() => MoneyScalar) get p10() { return toMajor(this.p10Cents); }
  @Field(() => MoneyScalar) get p50() { return toMajor(this.p50Cents); }
  @Field(() => MoneyScalar) get p90() { return toMajor(this.p90Cents); }
  @Field(() => MoneyScalar) get pipeline() { return toMajor(this.pipelineCents); }
  @Field(() => MoneyScalar) get newBusiness() { return toMajor(this.newBusinessCents); }
  @Field(() => MoneyScalar) get closedWon() { return toMajor(this.closedWonCents); }
}

/**
 * A person's call on the forecast, shown next to the model's number: either an amount for a scope (company, a
 * team or a rep) over a period, or a deal's forecast category override. Append-only: the latest one counts.
 */
@ObjectType({ description: "A rep's or manager's adjustment of the forecast: a called amount or a deal category override, with a note, who and when." })
@Entity({ tableName: 'forecast_adjustments' })
@Index({ properties: ['periodStart', 'scope'] })
export class ForecastAdjustment extends BaseEntity {
  [OptionalProps]?: 'amount' | 'createdAt' | 'updatedAt';

  @Field()
  @Property({ type: 'string', length: 40 })
  periodLabel!: string;

  @Field(() => Date)
  @Property({ type: DateTimeType })
  periodStart!: Date;

  @Field(() => Date)
  @Property({ type: DateTimeType })
  periodEnd!: Date;

  @Field(() => TargetScope)
  @Enum({ items: () => TargetScope })
  scope!: TargetScope;

  @ManyToOne(() => Team, { nullable: true, deleteRule: 'cascade' })
  team?: Rel<Team> | null;

  @ManyToOne(() => Rep, { nullable: true, deleteRule: 'cascade' })
  rep?: Rel<Rep> | null;

  @ManyToOne(() => Deal, { nullable: true, deleteRule: 'cascade' })
  deal?: Rel<Deal> | null;

  @Property({ type: new BigIntType('number'), nullable: true })
  amountCents?: number | null;

  @Field(() => ForecastCategory, { nullable: true })
  @Enum({ items: () => ForecastCategory, nullable: true })
  category?: ForecastCategory | null;

  @Field(() => ForecastCategory, { nullable: true, description: 'The deal category before this override.' })
  @Enum({ items: () => ForecastCategory, nullable: true })
  previousCategory?: ForecastCategory | null;

  @Field()
  @Property({ type: 'text' })
  note!: string;

  @ManyToOne(() => Rep, { deleteRule: 'cascade' })
  author!: Rel<Rep>;

  @Field(() => MoneyScalar, { name: 'amount', nullable: true, description: 'The called amount (null for a category override).' })
  get amount(): number | null {
    return this.amountCents == null ? null : toMajor(this.amountCents);
  }
}
