import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { type DocumentNode, execute, type ExecutionResult, getOperationAST, GraphQLBoolean, GraphQLFloat, GraphQLID, GraphQLInt, GraphQLSchema, GraphQLString, printSchema } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';

/**
 * Queries run on graphql-jit: the operation is compiled once into a function that walks the result without
 * graphql-js's per-field info objects and promise checks (a wide KPI answer resolves ~370,000 fields). Mutations,
 * and queries whose answer has an error, are answered by graphql-js. Apollo still parses, validates and runs every
 * plugin hook (limits, telemetry, answer cache, error formatting); only execution changes. Apollo Server takes a
 * custom executor through its `gateway` option.
 */

export interface JitOptions {
  /**
   * Runs of a document on graphql-js before it is compiled. Compiling costs more than running an operation once,
   * so by default a document is compiled on its second execution: the operations clients repeat (an app's, a
   * dashboard's) run compiled, while a one-off query, or a stream of unique documents sent to waste CPU, only ever
   * pays graphql-js.
   */
  compileAfterRuns?: number;
}

interface DocumentState {
  runs: number;
  byName: Map<string, CompiledQuery | ExecutionResult>;
}

export interface JitExecutor extends GatewayExecutor {
  /** Whether this document's operation `name` has been compiled (tests and benchmarks). */
  isCompiled(document: DocumentNode, name?: string): boolean;
}

/**
 * The built-in scalars' serializers with the common case first: a wide answer serializes ~200,000 leaves, most of
 * them already a string or a finite number. Anything else goes to graphql-js's own serializer (same value, same
 * error), so the answer cannot differ.
 */
const INT_MAX = 2 ** 31 - 1;
export const LEAF_SERIALIZERS: Record<string, (value: unknown) => unknown> = {
  String: (v) => (typeof v === 'string' ? v : GraphQLString.serialize(v)),
  Float: (v) => (typeof v === 'number' && Number.isFinite(v) ? v : GraphQLFloat.serialize(v)),
  Int: (v) => (typeof v === 'number' && Number.isInteger(v) && v <= INT_MAX && v >= -INT_MAX - 1 ? v : GraphQLInt.serialize(v)),
  Boolean: (v) => (typeof v === 'boolean' ? v : GraphQLBoolean.serialize(v)),
  ID: (v) => (typeof v === 'string' ? v : GraphQLID.serialize(v)),
};

export function jitExecutor(schema: GraphQLSchema, { compileAfterRuns = 1 }: JitOptions = {}): JitExecutor {
  // Keyed by the parsed document: Apollo's document store hands back the same document for the same text, and
  // evicting it frees these.
  const documents = new WeakMap<DocumentNode, DocumentState>();
  const compiledFor = (document: DocumentNode, name: string | undefined): CompiledQuery | ExecutionResult | null => {
    let state = documents.get(document);
    if (!state) documents.set(document, (state = { runs: 0, byName: new Map() }));
    if (state.runs++ < compileAfterRuns) return null;
    let found = state.byName.get(name ?? '');
    if (!found) state.byName.set(name ?? '', (found = compileQuery(schema, document, name, { customSerializers: LEAF_SERIALIZERS })));
    return found;
  };
  const executor = async ({ document, request, context }: Parameters<GatewayExecutor>[0]) => {
    // The name the client asked for (the context's operationName is the one Apollo resolved: none for an unknown name).
    const name = request.operationName ?? undefined;
    const reference = () => execute({ schema, document, operationName: name, variableValues: request.variables, contextValue: context });
    if (getOperationAST(document, name)?.operation !== 'query') return reference();
    const query = compiledFor(document, name);
    if (!query || !isCompiledQuery(query)) return reference();
    const result = await query.query(undefined, context, request.variables ?? {});
    // Any error and graphql-js answers instead, so error answers stay exactly graphql-js's: graphql-jit refuses
    // variables whose input objects leave a defaulted field out (graphql-jit#142; `timeZone` of KpiPeriodInput), and
    // some of its errors lose the original error that gives a database outage its SERVICE_UNAVAILABLE code.
    return result.errors?.length ? reference() : result;
  };
  return Object.assign(executor, {
    isCompiled: (document: DocumentNode, name?: string) => {
      const found = documents.get(document)?.byName.get(name ?? '');
      return found !== undefined && isCompiledQuery(found);
    },
  }) as JitExecutor;
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
