import {
  GraphQLError,
  Kind,
  getNullableType,
  isListType,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import type { ApolloServerPlugin } from '@apollo/server';
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

const estimator: ComplexityEstimator = ({ args, childComplexity, field }) => {
  const child = Math.max(childComplexity, 1);
  if (field.name === 'edges') return child;
  const hasFirst = field.args.some((arg) => arg.name === 'first');
  if (hasFirst) {
    const first = typeof args.first === 'number' && args.first > 0 ? args.first : DEFAULT_PAGE_SIZE;
    return 1 + first * child;
  }
  if (isListType(getNullableType(field.type))) return 1 + LIST_FANOUT * child;
  return 1 + childComplexity;
};

/** Apollo plugin refusing operations over the cost budget, before anything runs. */
export function costLimitPlugin(schema: GraphQLSchema, maxCost: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
          const cost = getComplexity({ schema, query: document, variables: request.variables ?? {}, operationName: request.operationName, estimators: [estimator] });
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

/** Validation rule: selections nested deeper than `maxDepth` (fragments followed; introspection counted too). */
export function depthLimitRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    const fragmentDepth = new Map<string, number>(); // memo: a fragment's depth does not depend on where it is spread
    for (const def of context.getDocument().definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);

    const depthOf = (set: SelectionSetNode | undefined, seen: Set<string>): number => {
      if (!set) return 0;
      let deepest = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) deepest = Math.max(deepest, selection.selectionSet ? 1 + depthOf(selection.selectionSet, seen) : 1);
        else if (selection.kind === Kind.INLINE_FRAGMENT) deepest = Math.max(deepest, depthOf(selection.selectionSet, seen));
        else {
          const name = selection.name.value;
          if (seen.has(name)) continue; // a fragment cycle is reported by the standard rules
          if (!fragmentDepth.has(name)) fragmentDepth.set(name, depthOf(fragments.get(name)?.selectionSet, new Set([...seen, name])));
          deepest = Math.max(deepest, fragmentDepth.get(name)!);
        }
        if (deepest > maxDepth) return deepest; // stop early on hostile nesting
      }
      return deepest;
    };

    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`Query depth ${depth} is over the limit of ${maxDepth}`, { nodes: [node], extensions: { code: 'QUERY_TOO_DEEP', maxDepth } }),
          );
        }
      },
    };
  };
}

