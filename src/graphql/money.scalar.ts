import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

const MAX_MAJOR = 1e13;

/** Money stored as integer minor units (cents); never sum binary floats across rows. */
export const toMinor = (major: number): number => Math.round(major * 100);
export const toMajor = (minor: number | string | null | undefined): number => Number(minor ?? 0) / 100;

function parseMoney(value: unknown): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new GraphQLError('Money must be a finite number');
  if (Math.abs(n) > MAX_MAJOR) throw new GraphQLError(`Money must be at most ${MAX_MAJOR} in absolute value`);
  if (Math.abs(Math.round(n * 100) - n * 100) > 1e-6) throw new GraphQLError('Money has at most 2 decimals');
  return n;
}

export const MoneyScalar = new GraphQLScalarType({
  name: 'Money',
  description: 'An amount in major units of its currency (e.g. 1234.5 EUR), exact to the cent. Sent as a JSON number.',
  serialize: (value) => Math.round(Number(value) * 100) / 100,
  parseValue: parseMoney,
  parseLiteral(ast) {
    if (ast.kind === Kind.INT || ast.kind === Kind.FLOAT || ast.kind === Kind.STRING) return parseMoney(ast.value);
    throw new GraphQLError('Money must be a number');
  },
});
