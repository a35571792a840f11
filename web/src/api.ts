/** The app's only way to the data: POST /graphql, the public API, with the caller's token. */
import { authHeader } from './session';

export class ApiError extends Error {
  constructor(message: string, readonly code: string, readonly field?: string, readonly status?: number) {
    super(message);
  }
}

type Listener = (error: ApiError) => void;
const unauthenticated: Listener[] = [];
export const onUnauthenticated = (fn: Listener) => unauthenticated.push(fn);

export async function gql<T = any>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : authHeader()) };
  const res = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await res.json().catch(() => ({ errors: [{ message: `HTTP ${res.status}`, extensions: { code: 'HTTP_ERROR' } }] }));
  if (body.errors?.length) {
    const e = body.errors[0];
    const error = new ApiError(e.message, e.extensions?.code ?? 'ERROR', e.extensions?.field, res.status);
    if (res.status === 401 && !token) unauthenticated.forEach((fn) => fn(error));
    throw error;
  }
  return body.data as T;
}
