import { ArgsType, Field, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { IsEmail, IsISO4217CurrencyCode, IsOptional, Length, Max, MaxLength, Min } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { LeadStatus, SortDirection } from '../../shared/enums';
import { MoneyScalar } from '../../graphql/money.scalar';

export enum LeadSortField { ID = 'id', CREATED_AT = 'createdAt', UPDATED_AT = 'updatedAt', NAME = 'name' }
registerEnumType(LeadSortField, { name: 'LeadSortField' });

@InputType()
export class LeadFilter {
  @Field(() => [ID], { nullable: true }) ownerIds?: string[];
  @Field(() => ID, { nullable: true }) teamId?: string;
  @Field(() => [LeadStatus], { nullable: true }) statuses?: LeadStatus[];
  @Field(() => [String], { nullable: true }) sources?: string[];
  @Field(() => Date, { nullable: true, description: 'Created at or after.' }) createdFrom?: Date;
  @Field(() => Date, { nullable: true, description: 'Created before.' }) createdTo?: Date;
  @Field(() => String, { nullable: true, description: 'Case-insensitive text in the name, company or email.' })
  @MaxLength(200)
  search?: string;
}

@InputType()
export class LeadSort {
  @Field(() => LeadSortField) field!: LeadSortField;
  @Field(() => SortDirection, { defaultValue: SortDirection.DESC }) direction!: SortDirection;
}

@ArgsType()
export class LeadQueryArgs {
  @Field(() => LeadFilter, { nullable: true }) filter?: LeadFilter;
  @Field(() => LeadSort, { nullable: true }) sort?: LeadSort;
}

/** Shared by create and update: contact, company and BANT fields. */
@InputType()
class LeadFields {
  @Field({ nullable: true }) @IsOptional() @MaxLength(254) @IsEmail() email?: string;
  @Field({ nullable: true }) @IsOptional() @MaxLength(40) phone?: string;
  @Field({ nullable: true }) @IsOptional() @MaxLength(120) title?: string;
  @Field({ nullable: true }) @IsOptional() @MaxLength(200) company?: string;
  @Field(() => ID, { nullable: true }) accountId?: string;
  @Field({ nullable: true }) @IsOptional() @Length(1, 80) source?: string;
  @Field(() => ID, { nullable: true, description: 'The SDR working the lead.' }) ownerId?: string;
  @Field(() => MoneyScalar, { nullable: true }) @IsOptional() @Min(0) budget?: number;
  @Field({ nullable: true }) hasAuthority?: boolean;
  @Field({ nullable: true }) hasNeed?: boolean;
  @Field(() => Int, { nullable: true }) @IsOptional() @Min(0) @Max(120) timelineMonths?: number;
  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Custom fields: flat string/number/boolean values.' })
  attributes?: Record<string, unknown>;
}

@InputType()
export class CreateLeadInput extends LeadFields {
  @Field() @Length(1, 160) name!: string;
}

@InputType()
export class UpdateLeadInput extends LeadFields {
  @Field({ nullable: true }) @IsOptional() @Length(1, 160) name?: string;
}

@InputType({ description: 'Turns a qualified lead into a deal (and an account when none is linked).' })
export class ConvertLeadInput {
  @Field(() => ID) leadId!: string;
  @Field(() => Int) @Min(1) version!: number;
  @Field({ nullable: true, description: 'Deal name; "<company> - <product>" by default.' })
  @IsOptional()
  @Length(1, 200)
  dealName?: string;
  @Field(() => ID, { description: 'The account executive who will own the deal.' }) ownerId!: string;
  @Field(() => ID, { nullable: true }) productId?: string;
  @Field(() => MoneyScalar) @Min(0) amount!: number;
  @Field({ defaultValue: 'EUR' }) @IsISO4217CurrencyCode() currency!: string;
  @Field(() => Date, { nullable: true }) expectedCloseDate?: Date;
}
