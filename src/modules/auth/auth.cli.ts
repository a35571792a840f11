import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../../config';
import { createOrm, migrate, type Em } from '../../db/orm';
import { parseId } from '../../shared/ids';
import { Rep } from '../rep/rep.entity';
import { identityOfRep } from './access.policy';
import { createApiKey, revokeApiKey } from './api-key.service';
import { tokenSettings } from './authenticate';
import { AccessRole, SYSTEM_IDENTITY, isAccessRole, type Identity } from './identity';
import { signToken } from './token.service';

const ROLES = Object.values(AccessRole);

const role = (value: string): AccessRole => {
  const upper = value.toUpperCase();
  if (!isAccessRole(upper)) throw new InvalidArgumentError(`one of ${ROLES.join(', ')}`);
  return upper;
};

async function withEm<T>(work: (em: Em) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const orm = await createOrm(config.database);
  try {
    await migrate(orm);
    return await work(orm.em.fork() as Em);
  } finally {
    await orm.close();
  }
}

/** The identity a token for `role` acts as: the given rep, or the first active rep with that role. */
async function identityFor(em: Em, wanted: AccessRole, repId?: string): Promise<Identity> {
  if (wanted === AccessRole.ADMIN && !repId) return { ...SYSTEM_IDENTITY, subject: 'admin' };
  const rep = repId
    ? await em.findOne(Rep, { id: parseId(repId, 'rep') })
    : await em.findOne(Rep, { role: wanted as never, active: true }, { orderBy: { id: 'asc' } });
  if (!rep) throw new Error(repId ? `No rep ${repId}` : `No active rep with role ${wanted}: seed the demo world or pass --rep <id>`);
  if (wanted !== AccessRole.ADMIN && (rep.role as string) !== wanted) throw new Error(`Rep ${rep.id} is ${rep.role}, not ${wanted}`);
  const identity = identityOfRep(rep);
  return wanted === AccessRole.ADMIN ? { ...identity, role: AccessRole.ADMIN } : identity;
}

/** `pipewise token`, `pipewise apikey:create`, `pipewise apikey:revoke`. */
export function registerAuthCommands(program: Command): void {
  program
    .command('token')
    .description('print a signed bearer token (JWT) acting as a rep of the given role; send it as "Authorization: Bearer <token>"')
    .addOption(new Option('--role <role>', `${ROLES.join(' | ')}`).argParser(role).makeOptionMandatory())
    .option('--rep <id>', 'act as this rep (default: the first active rep with the role)')
    .option('--ttl <duration>', 'lifetime, e.g. 30m, 8h, 7d (default TOKEN_TTL or 8h)')
    .action(async (opts: { role: AccessRole; rep?: string; ttl?: string }) => {
      const config = loadConfig();
      const identity = await withEm((em) => identityFor(em, opts.role, opts.rep));
      const token = await signToken(tokenSettings(config.auth), identity, opts.ttl ?? config.auth.tokenTtl);
      console.error(`${identity.role} token for ${identity.subject}${identity.teamId ? ` (team ${identity.teamId})` : ''}, valid ${opts.ttl ?? config.auth.tokenTtl}:`);
      console.log(token);
    });

  program
    .command('apikey:create')
    .description('create an API key (stored hashed; printed once) for an integration')
    .requiredOption('--name <name>', 'what the key is for')
    .addOption(new Option('--role <role>', `${ROLES.join(' | ')}`).argParser(role).makeOptionMandatory())
    .option('--rep <id>', 'the rep the key acts as (required except for ADMIN)')
    .action(async (opts: { name: string; role: AccessRole; rep?: string }) => {
      const created = await withEm((em) => createApiKey(em, { name: opts.name, role: opts.role, repId: opts.rep }));
      console.error(`API key ${created.id} created; it is shown once, store it now:`);
      console.log(created.key);
    });

  program
    .command('apikey:revoke <id>')
    .description('revoke an API key (takes effect within 30 s on running servers)')
    .action(async (id: string) => {
      await withEm((em) => revokeApiKey(em, parseId(id, 'id')));
      console.log(`API key ${id} revoked.`);
    });
}
