import {
  BREAK,
  GraphQLError,
  Kind,
  visit,
  getNullableType,
  isListType,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from './context';
import { DEFAULT_PAGE_SIZE } from './paginate';

/**
 * Query cost: 1 per field; a list field costs its child cost times the rows it can return: `first` when given
 * (connections, "latest N" lists), 20 for a connection without `first`, 10 for other lists (stage history,
 * team members). `edges` is already counted by its connection. Examples against the default budget of 10,000:
 * `deals(first: 20) { edges { node { id name owner { name } } } }` costs 1 + 20 x 6 = 121; the same with
 * `first: 100` and the stage history of each deal (10 x 3) costs about 4,000; 1,000 aliases of a 20-row
 * connection are refused.
 */
export const LIST_FANOUT = 10;

/**
 * CPU-heavy root fields cost what they compute, in units of about a millisecond of one core on the seed-42 world
 * (measured: a company forecast of 10,000 simulations ~0.45 s, 100,000 by REP ~2.5 s, 8 quarters backtested at
 * 50,000 ~2.7 s): loading the facts and learning the history, plus simulations per 1,000 times the breakdown's
 * weight (its typical group count: teams, products, reps), times the periods of a backtest. So 20 aliased
 * 100,000-simulation forecasts by rep (~46,000) are refused, while four company forecasts (~1,400) are not.
 */
const GROUP_WEIGHT: Record<string, number> = { COMPANY: 0, TEAM: 2, PRODUCT: 4, REP: 16 };
const thousands = (value: unknown, fallback: number) => Math.ceil((typeof value === 'number' && value > 0 ? value : fallback) / 1000);

function backtestPeriods(args: Record<string, unknown>): number {
  const from = args.from instanceof Date ? args.from.getTime() : NaN;
  const to = args.to instanceof Date ? args.to.getTime() : NaN;
  if (!(to > from)) return 1;
  const months = (to - from) / (30.44 * 86_400_000);
  // more than 60 periods is refused by the backtest itself, with the field at fault
  return Math.min(60, Math.max(1, Math.ceil(args.interval === 'MONTH' ? months : months / 3)));
}

export const HEAVY_FIELD_COST: Record<string, (args: Record<string, unknown>) => number> = {
  forecast: (a) => 300 + thousands(a.simulations, 10_000) * (4 + (GROUP_WEIGHT[String(a.groupBy ?? 'COMPANY')] ?? 16)),
  forecastBacktest: (a) => 200 + backtestPeriods(a) * (60 + 4 * thousands(a.simulations, 2000)),
  trainModel: () => 2000,
  rescore: () => 2000,
};

const estimator: ComplexityEstimator = ({ args, childComplexity, field, type }) => {
  const child = Math.max(childComplexity, 1);
  const heavy = (type.name === 'Query' || type.name === 'Mutation') && HEAVY_FIELD_COST[field.name];
  if (heavy) return heavy(args) + childComplexity;
  if (field.name === 'edges') return child;
  const hasFirst = field.args.some((arg) => arg.name === 'first');
  if (hasFirst) {
    const first = typeof args.first === 'number' && args.first > 0 ? args.first : DEFAULT_PAGE_SIZE;
    return 1 + first * child;
  }
  if (isListType(getNullableType(field.type))) return 1 + LIST_FANOUT * child;
  return 1 + childComplexity;
};

/** Apollo plugin refusing operations nested deeper than `maxDepth` or over the cost budget, before anything runs. */
export function queryLimitsPlugin(schema: GraphQLSchema, maxDepth: number, maxCost: number): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      let requested: number | null = null;
      return {
        /**
         * Where the caller stands, as GitHub's and Shopify's GraphQL APIs tell it: this operation's cost against the
         * per-operation budget, and the requests left in the caller's rate-limit bucket (HTTP requests).
         */
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          const rate = contextValue.rateLimit;
          response.body.singleResult.extensions = {
            ...response.body.singleResult.extensions,
            cost: {
              requestedQueryCost: requested,
              maximumQueryCost: maxCost,
              ...(rate && { rateLimit: { limit: rate.limit, remaining: rate.remaining, resetSeconds: Math.ceil(rate.resetMs / 1000) } }),
            },
          };
        },
        async didResolveOperation({ request, document, operation }) {
          if (operation?.operation === 'subscription') {
            throw new GraphQLError('Subscriptions are not supported', { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
          }
          const badString = findBadString(request.variables) ?? findBadLiteral(document);
          if (badString) {
            throw new GraphQLError(`${badString} is not valid text (a NUL character or broken Unicode)`, { extensions: { code: 'BAD_USER_INPUT', field: badString, http: { status: 400 } } });
          }
          const depth = operationDepth(document, operation?.selectionSet, maxDepth);
          if (depth > maxDepth) {
            throw new GraphQLError(`Query depth ${depth > maxDepth + 1 ? `over ${maxDepth}` : depth} is over the limit of ${maxDepth}: ask for fewer nested levels`, {
              extensions: { code: 'QUERY_TOO_DEEP', maxDepth, http: { status: 400 } },
            });
          }
          let cost: number;
          try {
            // The operation Apollo resolved (not the raw operationName a client sent).
            cost = getComplexity({ schema, query: document, variables: request.variables ?? {}, operationName: operation?.name?.value, estimators: [estimator] });
          } catch (error) {
            // Variables that do not coerce: the same error GraphQL execution would give, before anything runs.
            if (error instanceof GraphQLError) throw new GraphQLError(error.message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
            throw error;
          }
          requested = cost;
          if (cost > maxCost) {
            throw new GraphQLError(`Query cost ${cost} is over the budget of ${maxCost}: ask for fewer rows or fields`, {
              extensions: { code: 'QUERY_TOO_COMPLEX', cost, maxCost, http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

/**
 * Bracket nesting of a query text, strings and comments skipped, stopping past `limit`: run before parsing, since
 * graphql-js parses recursively and thousands of levels would cost a stack overflow per request.
 */
export function textNestingExceeds(query: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < query.length; i++) {
    const c = query[i];
    if (c === '#') {
      while (i < query.length && query[i] !== '\n') i++;
    } else if (c === '"' && query.startsWith('"""', i)) {
      let j = i + 3;
      while (j < query.length && !(query.startsWith('"""', j) && query[j - 1] !== '\\')) j++;
      i = j + 2;
    } else if (c === '"') {
      i++;
      while (i < query.length && query[i] !== '"' && query[i] !== '\n') i += query[i] === '\\' ? 2 : 1;
    } else if (c === '{' || c === '(' || c === '[') {
      if (++depth > limit) return true;
    } else if (c === '}' || c === ')' || c === ']') depth--;
  }
  return false;
}

/** U+0000 (PostgreSQL refuses it) or a lone surrogate (not Unicode; validators choke on it). */
const BAD_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text that cannot be stored or validated is refused at the edge, naming where it was. */
function findBadString(value: unknown, path = 'variables', depth = 0): string | null {
  if (typeof value === 'string') return BAD_TEXT.test(value) ? path : null;
  if (!value || typeof value !== 'object' || depth > 20) return null;
  for (const [key, child] of Object.entries(value)) {
    if (BAD_TEXT.test(key)) return `${path}.<key>`;
    const found = findBadString(child, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return null;
}

function findBadLiteral(document: DocumentNode): string | null {
  let found: string | null = null;
  visit(document, {
    StringValue(node) {
      if (BAD_TEXT.test(node.value)) {
        found = 'a string in the query';
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/**
 * Deepest data-field nesting of an operation (introspection fields left out), fragments followed (each fragment's depth computed once, so a
 * "fragment bomb" costs linear time). Stops counting once past `limit`.
 */
export function operationDepth(document: DocumentNode, selectionSet: SelectionSetNode | undefined, limit: number): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const fragmentDepth = new Map<string, number>();
  // `level` is how deep the selection set sits: past limit + 1 there is no need to look further down.
  const depthOf = (set: SelectionSetNode | undefined, seen: Set<string>, level: number): number => {
    if (!set) return 0;
    if (level > limit + 1) return 1;
    let deepest = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        // Introspection (__schema, __type) nests TypeRef.ofType deeper than any data query, is bounded by the schema
        // itself and answered only where introspection is on (the bundled explorer needs it): data depth only.
        if (selection.name.value.startsWith('__')) continue;
        deepest = Math.max(deepest, selection.selectionSet ? 1 + depthOf(selection.selectionSet, seen, level + 1) : 1);
      }
      else if (selection.kind === Kind.INLINE_FRAGMENT) deepest = Math.max(deepest, depthOf(selection.selectionSet, seen, level));
      else {
        const name = selection.name.value;
        if (seen.has(name)) continue; // cycles are refused by GraphQL validation before this runs
        if (!fragmentDepth.has(name)) fragmentDepth.set(name, depthOf(fragments.get(name)?.selectionSet, new Set([...seen, name]), 0));
        deepest = Math.max(deepest, fragmentDepth.get(name)!);
      }
      if (level + deepest > limit + 1) return deepest;
    }
    return deepest;
  };
  return depthOf(selectionSet, new Set(), 0);
}
