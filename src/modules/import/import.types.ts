/** GraphQL shapes of the import: the input (mapping + file contents) and the report. */
import { ArrayMaxSize, ArrayMinSize, MaxLength } from 'class-validator';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';

export enum ImportStatusEnum { COMMITTED = 'COMMITTED', DRY_RUN = 'DRY_RUN', ABORTED = 'ABORTED' }
registerEnumType(ImportStatusEnum, {
  name: 'ImportStatus',
  description: 'COMMITTED: written. DRY_RUN: validated only, nothing written. ABORTED: strict mode and rows were rejected, nothing written.',
});

@InputType({ description: 'One CSV file of the export, named as the mapping names it.' })
export class ImportFileInput {
  @Field({ description: 'File name as used in the mapping (e.g. "opportunities.csv").' })
  @MaxLength(255)
  name!: string;

  @Field({ description: 'The CSV text (UTF-8). All files together are limited in size (see importCrmExport).' })
  content!: string;
}

@InputType()
export class ImportInput {
  @Field(() => GraphQLJSONObject, { description: 'The mapping file contents: sections reps, accounts, products, leads, deals, activities.' })
  mapping!: Record<string, unknown>;

  @Field(() => [ImportFileInput])
  @ArrayMinSize(1)
  @ArrayMaxSize(6)
  files!: ImportFileInput[];

  @Field({ defaultValue: false, description: 'Validate and report without writing.' })
  dryRun!: boolean;

  @Field({ defaultValue: false, description: 'Write nothing if any row is rejected.' })
  strict!: boolean;
}

@ObjectType()
export class ImportEntityCounts {
  @Field() entity!: string;
  @Field() file!: string;
  @Field(() => Int) rowsRead!: number;
  @Field(() => Int) created!: number;
  @Field(() => Int) updated!: number;
  @Field(() => Int) rejected!: number;
  @Field(() => Int) warnings!: number;
}

@ObjectType({ description: 'A row that was not loaded, and why.' })
export class ImportRowIssue {
  @Field() entity!: string;
  @Field() file!: string;
  @Field(() => Int, { description: 'Line in the file (the header is line 1).' }) line!: number;
  @Field(() => String, { nullable: true, description: 'CSV column at fault.' }) column!: string | null;
  @Field(() => String, { nullable: true }) value!: string | null;
  @Field() reason!: string;
}

@ObjectType()
export class ImportWarningSample {
  @Field(() => Int) line!: number;
  @Field(() => String, { nullable: true }) value!: string | null;
}

@ObjectType({ description: 'Rows loaded with a caveat (reference left empty, value normalised, ...), grouped by column and reason.' })
export class ImportWarning {
  @Field() entity!: string;
  @Field() file!: string;
  @Field(() => String, { nullable: true }) column!: string | null;
  @Field() reason!: string;
  @Field(() => Int) count!: number;
  @Field(() => [ImportWarningSample]) samples!: ImportWarningSample[];
}

@ObjectType({ description: 'Something the export did not state and the import concluded (a stage a won deal passed through, a date order, ...), with the rows it touched.' })
export class ImportInference {
  @Field() entity!: string;
  @Field() file!: string;
  @Field(() => String, { nullable: true }) column!: string | null;
  @Field({ description: 'Stable code, e.g. WON_THROUGH_OPEN_STAGES, LOST_STAGE_UNKNOWN, DATE_ORDER_FROM_COLUMN.' }) rule!: string;
  @Field() description!: string;
  @Field(() => Int) count!: number;
}

@ObjectType({ description: 'Inferred type of a lead attribute column (numeric vs categorical).' })
export class ImportAttributeType {
  @Field() name!: string;
  @Field() type!: string;
  @Field(() => Int) present!: number;
  @Field(() => Int) missing!: number;
  @Field(() => Float, { nullable: true }) min?: number | null;
  @Field(() => Float, { nullable: true }) max?: number | null;
  @Field(() => Int, { nullable: true, description: 'Distinct values (counted up to 1000).' }) distinct?: number | null;
  @Field(() => [String], { nullable: true }) topValues?: string[] | null;
}

@ObjectType('ImportReport', { description: 'What an import did: counts per entity, rejected rows (first 1000), grouped warnings.' })
export class ImportReportType {
  @Field(() => ID, { nullable: true, description: 'The import_runs row of a committed import.' }) runId!: number | null;
  @Field(() => ImportStatusEnum) status!: ImportStatusEnum;
  @Field() dryRun!: boolean;
  @Field() strict!: boolean;
  @Field(() => Date) startedAt!: Date;
  @Field(() => Int) durationMs!: number;
  @Field(() => [ImportEntityCounts]) entities!: ImportEntityCounts[];
  @Field(() => [String], { description: 'Problems of the import as a whole, e.g. stage values the mapping does not map.' }) errors!: string[];
  @Field(() => Int) rejectedTotal!: number;
  @Field(() => [ImportRowIssue]) rejected!: ImportRowIssue[];
  @Field(() => [ImportWarning]) warnings!: ImportWarning[];
  @Field(() => [ImportInference]) inferences!: ImportInference[];
  @Field(() => [ImportAttributeType]) attributeTypes!: ImportAttributeType[];
  @Field({ description: 'The report as text, as the CLI prints it.' }) text!: string;
}
