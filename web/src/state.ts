/** Who is signed in and which teams and reps they may pick, loaded once per sign-in. */
import { gql } from './api';

export interface Viewer {
  role: 'SDR' | 'AE' | 'MANAGER' | 'EXEC' | 'ADMIN';
  repId: string | null;
  teamId: string | null;
  seesFinancials: boolean;
  rep: { name: string } | null;
}
export interface TeamOption {
  id: string;
  name: string;
  members: Array<{ id: string; name: string; role: string }>;
}

export const state: { viewer: Viewer | null; teams: TeamOption[] } = { viewer: null, teams: [] };

export async function loadViewer(token?: string): Promise<Viewer> {
  const { me } = await gql<{ me: Viewer }>(`{ me { role repId teamId seesFinancials rep { name } } }`, {}, token);
  return me;
}

export async function loadTeams(): Promise<TeamOption[]> {
  const data = await gql<{ teams: { edges: Array<{ node: TeamOption }> } }>(`{ teams(first: 100) { edges { node { id name members { id name role } } } } }`);
  return data.teams.edges.map((e) => e.node);
}

export const seesCompany = () => state.viewer?.role === 'EXEC' || state.viewer?.role === 'ADMIN';
