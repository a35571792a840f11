import { ArgsType, Field, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { IsISO4217CurrencyCode, IsOptional, Length, MaxLength, Min } from 'class-validator';
import { DealStatus, ForecastCategory, SortDirection } from '../../shared/enums';
import { MoneyScalar } from '../../graphql/money.scalar';

export enum DealSortField { ID = 'id', CREATED_AT = 'createdAt', UPDATED_AT = 'updatedAt', AMOUNT = 'amountCents', NAME = 'name' }
registerEnumType(DealSortField, { name: 'DealSortField' });

@InputType({ description: 'Deal filters; all given conditions must hold.' })
export class DealFilter {
  @Field(() => [ID], { nullable: true }) ownerIds?: string[];
  @Field(() => ID, { nullable: true }) teamId?: string;
  @Field(() => [ID], { nullable: true }) stageIds?: string[];
  @Field(() => [DealStatus], { nullable: true }) statuses?: DealStatus[];
  @Field(() => [String], { nullable: true }) sources?: string[];
  @Field(() => ID, { nullable: true }) productId?: string;
  @Field(() => String, { nullable: true }) productFamily?: string;
  @Field(() => ID, { nullable: true }) accountId?: string;
  @Field(() => Date, { nullable: true, description: 'Opened at or after.' }) openedFrom?: Date;
  @Field(() => Date, { nullable: true, description: 'Opened before.' }) openedTo?: Date;
  @Field(() => Date, { nullable: true, description: 'Closed at or after.' }) closedFrom?: Date;
  @Field(() => Date, { nullable: true, description: 'Closed before.' }) closedTo?: Date;
  @Field(() => MoneyScalar, { nullable: true }) amountMin?: number;
  @Field(() => MoneyScalar, { nullable: true }) amountMax?: number;
  @Field(() => String, { nullable: true, description: 'Case-insensitive text in the deal name.' })
  @MaxLength(200)
  search?: string;
}

@InputType()
export class DealSort {
  @Field(() => DealSortField) field!: DealSortField;
  @Field(() => SortDirection, { defaultValue: SortDirection.DESC }) direction!: SortDirection;
}

@ArgsType()
export class DealQueryArgs {
  @Field(() => DealFilter, { nullable: true }) filter?: DealFilter;
  @Field(() => DealSort, { nullable: true }) sort?: DealSort;
}

@InputType()
export class CreateDealInput {
  @Field() @Length(1, 200) name!: string;
  @Field(() => ID) accountId!: string;
  @Field(() => ID) ownerId!: string;
  @Field(() => ID, { nullable: true }) productId?: string;
  @Field(() => MoneyScalar) @Min(0) amount!: number;
  @Field({ defaultValue: 'EUR' }) @IsISO4217CurrencyCode() currency!: string;
  @Field(() => ID, { nullable: true, description: 'Open stage to start in; the first stage by default.' }) stageId?: string;
  @Field(() => Date, { nullable: true }) expectedCloseDate?: Date;
  @Field(() => String, { nullable: true }) @IsOptional() @Length(1, 80) source?: string;
  @Field(() => ForecastCategory, { nullable: true }) forecastCategory?: ForecastCategory;
}

@InputType({ description: 'Fields to change; omitted fields stay as they are.' })
export class UpdateDealInput {
  @Field({ nullable: true }) @IsOptional() @Length(1, 200) name?: string;
  @Field(() => ID, { nullable: true }) accountId?: string;
  @Field(() => ID, { nullable: true }) ownerId?: string;
  @Field(() => ID, { nullable: true }) productId?: string;
  @Field(() => MoneyScalar, { nullable: true }) @IsOptional() @Min(0) amount?: number;
  @Field({ nullable: true }) @IsOptional() @IsISO4217CurrencyCode() currency?: string;
  @Field(() => Date, { nullable: true }) expectedCloseDate?: Date;
  @Field(() => ForecastCategory, { nullable: true }) forecastCategory?: ForecastCategory;
}

@InputType()
export class MoveDealStageInput {
  @Field(() => ID) dealId!: string;
  @Field(() => Int, { description: 'The version you read; a stale one gets CONFLICT.' }) @Min(1) version!: number;
  @Field(() => ID, { description: 'An open stage; use closeDeal to win or lose.' }) stageId!: string;
  @Field(() => Date, { nullable: true, description: 'When the move happened; now by default.' }) at?: Date;
}

@InputType()
export class CloseDealInput {
  @Field(() => ID) dealId!: string;
  @Field(() => Int) @Min(1) version!: number;
  @Field() won!: boolean;
  @Field(() => String, { nullable: true, description: 'Required when lost: price, timing, competitor, ...' })
  @IsOptional()
  @Length(1, 120)
  lossReason?: string;
  @Field(() => Date, { nullable: true }) closedAt?: Date;
}
