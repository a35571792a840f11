import { GraphQLBoolean, GraphQLFloat, GraphQLID, GraphQLInt, GraphQLString } from 'graphql';
import { LEAF_SERIALIZERS } from '../../src/graphql/execution';

/** The compiled executor's fast leaf serializers give graphql-js's value, or graphql-js's error, for every input. */
const SCALARS = { String: GraphQLString, Float: GraphQLFloat, Int: GraphQLInt, Boolean: GraphQLBoolean, ID: GraphQLID };
const INPUTS: unknown[] = [
  'text', '', '12', '1.5', ' 3 ', 'true', 0, -0, 12, -7, 1.5, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 1e21, NaN, Infinity, -Infinity,
  true, false, 12n, { valueOf: () => 4 }, { valueOf: () => 'v' }, {}, [], [1], new Date(0), Symbol.for('s'),
];

const outcome = (serialize: (v: unknown) => unknown, value: unknown) => {
  try {
    return { value: serialize(value) };
  } catch (error) {
    return { error: (error as Error).message };
  }
};

describe('compiled execution leaf serializers', () => {
  it.each(Object.entries(SCALARS))('%s: same value or same error as graphql-js for every input', (name, scalar) => {
    const fast = LEAF_SERIALIZERS[name];
    expect(fast).toBeDefined();
    for (const input of INPUTS) expect([input, outcome(fast, input)]).toEqual([input, outcome((v) => scalar.serialize(v), input)]);
  });

  it('covers exactly the built-in scalars', () => {
    expect(Object.keys(LEAF_SERIALIZERS).sort()).toEqual(Object.keys(SCALARS).sort());
  });
});
