import { validate, type ValidationError } from 'class-validator';
import { getNamedType, type GraphQLResolveInfo } from 'graphql';
import type { ResolverData } from 'type-graphql';
import { BadInputError } from '../shared/errors';

function firstFailure(errors: ValidationError[], prefix: string): { field: string; message: string } | null {
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const message = error.constraints && Object.values(error.constraints)[0];
    if (message) return { field, message };
    const nested = firstFailure(error.children ?? [], field);
    if (nested) return nested;
  }
  return null;
}

/** Name of the argument an input object was passed as ("input"), so errors point at "input.amount". */
function argumentName(argType: unknown, info: GraphQLResolveInfo): string {
  const typeName = typeof argType === 'function' ? argType.name : '';
  const field = info.parentType.getFields()[info.fieldName];
  return field?.args.find((arg) => getNamedType(arg.type).name === typeName)?.name ?? '';
}

/**
 * Validates decorated inputs (class-validator) and fails with BAD_USER_INPUT naming the field at fault.
 * Missing properties are skipped: GraphQL's own non-null checks cover required fields.
 */
export async function validateInput(argValue: unknown, argType: unknown, resolverData: ResolverData<object>): Promise<void> {
  if (argValue === null || typeof argValue !== 'object') return;
  const values = Array.isArray(argValue) ? argValue : [argValue];
  const prefix = argumentName(argType, resolverData.info);
  for (const value of values) {
    if (value === null || typeof value !== 'object') continue;
    const errors = await validate(value, { skipMissingProperties: true, forbidUnknownValues: false, stopAtFirstError: true });
    const failure = firstFailure(errors, prefix);
    if (failure) throw new BadInputError(failure.field, `Invalid ${failure.field}: ${failure.message}`);
  }
}
