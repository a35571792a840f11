import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { type DocumentNode, execute, type ExecutionResult, getOperationAST, type GraphQLSchema, printSchema } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';

/**
 * Queries run on graphql-jit: the operation is compiled once into a function that walks the result without
 * graphql-js's per-field info objects and promise checks (a wide KPI answer resolves ~370,000 fields). Mutations,
 * and queries whose answer has an error, are answered by graphql-js. Apollo still parses, validates and runs every
 * plugin hook (limits, telemetry, answer cache, error formatting); only execution changes. Apollo Server takes a
 * custom executor through its `gateway` option.
 */

/** Compiled operations per parsed document: Apollo's document store hands back the same document for the same text; evicting it frees these. */
const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | ExecutionResult>>();

function compiledFor(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined): CompiledQuery | ExecutionResult {
  let byName = compiled.get(document);
  if (!byName) compiled.set(document, (byName = new Map()));
  const key = operationName ?? '';
  let found = byName.get(key);
  if (!found) byName.set(key, (found = compileQuery(schema, document, operationName)));
  return found;
}

export function jitExecutor(schema: GraphQLSchema): GatewayExecutor {
  return async ({ document, request, context }) => {
    // The name the client asked for (the context's operationName is the one Apollo resolved: none for an unknown name).
    const name = request.operationName ?? undefined;
    const reference = () => execute({ schema, document, operationName: name, variableValues: request.variables, contextValue: context });
    if (getOperationAST(document, name)?.operation !== 'query') return reference();
    const query = compiledFor(schema, document, name);
    if (!isCompiledQuery(query)) return reference();
    const result = await query.query(undefined, context, request.variables ?? {});
    // Any error and graphql-js answers instead, so error answers stay exactly graphql-js's: graphql-jit refuses
    // variables whose input objects leave a defaulted field out (graphql-jit#142; `timeZone` of KpiPeriodInput), and
    // some of its errors lose the original error that gives a database outage its SERVICE_UNAVAILABLE code.
    return result.errors?.length ? reference() : result;
  };
}

/** Apollo Server's `gateway` option serving one fixed schema with the executor above (no federation involved). */
export function jitGateway(schema: GraphQLSchema): GatewayInterface {
  return {
    load: async () => ({ executor: jitExecutor(schema) }),
    onSchemaLoadOrUpdate: (callback) => {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => undefined;
    },
    stop: async () => undefined,
  };
}
