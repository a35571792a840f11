/** GraphiQL, bundled (no CDN): the same endpoint and the same sign-in as the app. */
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import 'graphiql/graphiql.css';
import { authHeader } from './session';

const fetcher = async (params: unknown) => {
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeader() },
    body: JSON.stringify(params),
  });
  return res.json();
};

const DEFAULT_QUERY = `# Pipewise GraphQL API. Sign in from the app (top right) to act as a rep; development acts as ADMIN.
{
  me { role repId teamId }
  pipelineMovement(from: "2026-10-01T00:00:00Z", to: "2026-11-01T00:00:00Z", period: "2026-Q4") {
    start { amount count } end { amount count }
    bars { label amount count }
  }
}
`;

createRoot(document.getElementById('explorer')!).render(<GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />);
