import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { loadConfig } from '../../config';
import { createOrm, migrate, type Em } from '../../db/orm';
import { JSON_HELP, UsageError, idValue, oneOf, printOutput } from '../../shared/cli';
import { parseId } from '../../shared/ids';
import { Rep } from '../rep/rep.entity';
import { identityOfRep } from './access.policy';
import { createApiKey, revokeApiKey } from './api-key.service';
import { tokenSettings } from './authenticate';
import { AccessRole, SYSTEM_IDENTITY, type Identity } from './identity';
import { signToken } from './token.service';

const ROLES = Object.values(AccessRole);

const role = oneOf(ROLES);

/** Token lifetimes as jose reads them: a whole number and a unit. Tokens always expire; integrations use API keys. */
export function ttlValue(value: string): string {
  if (!/^\d+\s?(s|m|h|d|w|y)$/.test(value.trim())) {
    throw new InvalidArgumentError('expected a lifetime: a whole number and a unit s, m, h, d, w or y, e.g. 30m, 8h, 7d or 1y (a token always expires; an integration uses `pipewise apikey:create`)');
  }
  return value.trim();
}

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
  if (!rep) throw new UsageError(repId ? `--rep ${repId}: no such rep (ids as the reps query lists them, e.g. --rep 12)` : `no active rep with role ${wanted}: seed the demo world (pipewise seed) or pass --rep <id>`);
  // The server refuses an inactive rep's credentials (src/modules/auth/rep-identity.ts): say so now.
  if (!rep.active) throw new UsageError(`--rep ${rep.id} is inactive: its tokens would be refused (reactivateRep first)`);
  if (wanted !== AccessRole.ADMIN && (rep.role as string) !== wanted) {
    const same = await em.findOne(Rep, { role: wanted as never, active: true }, { orderBy: { id: 'asc' } });
    throw new UsageError(`--rep ${rep.id} is ${rep.role}, not ${wanted}: pass --role ${rep.role}${same ? `, or a rep with that role, e.g. --rep ${same.id}` : ''}`);
  }
  const identity = identityOfRep(rep);
  return wanted === AccessRole.ADMIN ? { ...identity, role: AccessRole.ADMIN } : identity;
}

/** `pipewise token`, `pipewise apikey:create`, `pipewise apikey:revoke`. */
export function registerAuthCommands(program: Command): void {
  program
    .command('token')
    .description('print a signed bearer token (JWT) acting as a rep of the given role; send it as "Authorization: Bearer <token>"')
    .addOption(new Option('--role <role>', ROLES.join(' | ').toLowerCase()).argParser(role).makeOptionMandatory())
    .option('--rep <id>', 'act as this rep (default: the first active rep with the role)', idValue)
    .option('--ttl <duration>', 'lifetime: 30m, 8h, 7d, 1y (default TOKEN_TTL or 8h)', ttlValue)
    .option('--json', JSON_HELP)
    .action(async (opts: { role: AccessRole; rep?: string; ttl?: string; json?: boolean }) => {
      const config = loadConfig();
      const identity = await withEm((em) => identityFor(em, opts.role, opts.rep));
      const ttl = opts.ttl ?? config.auth.tokenTtl;
      const token = await signToken(tokenSettings(config.auth), identity, ttl);
      if (opts.json) return printOutput(true, { token, ...identity, ttl }, () => '');
      // The token alone on stdout (for $(...)); who it acts as on stderr.
      console.error(`${identity.role} token for ${identity.subject}${identity.teamId ? ` (team ${identity.teamId})` : ''}, valid ${ttl}:`);
      console.log(token);
    });

  program
    .command('apikey:create')
    .description('create an API key (stored hashed; printed once) for an integration')
    .requiredOption('--name <name>', 'what the key is for, e.g. crm-sync')
    .addOption(new Option('--role <role>', ROLES.join(' | ').toLowerCase()).argParser(role).makeOptionMandatory())
    .option('--rep <id>', 'the rep the key acts as (required except for ADMIN)', idValue)
    .option('--json', JSON_HELP)
    .action(async (opts: { name: string; role: AccessRole; rep?: string; json?: boolean }) => {
      if (opts.role !== AccessRole.ADMIN && !opts.rep) throw new UsageError(`a ${opts.role} key acts as a rep: add --rep <id>, e.g. --rep 2`);
      const created = await withEm(async (em) => {
        // Checked here so the message names the flag (the service names its input field).
        if (opts.rep) await identityFor(em, opts.role, opts.rep);
        return createApiKey(em, { name: opts.name, role: opts.role, repId: opts.rep });
      });
      if (opts.json) return printOutput(true, { id: created.id, key: created.key, name: opts.name, role: opts.role, repId: opts.rep ?? null }, () => '');
      console.error(`API key ${created.id} created; it is shown once, store it now:`);
      console.log(created.key);
    });

  program
    .command('apikey:revoke')
    .description('revoke an API key (takes effect within 30 s on running servers)')
    .argument('<id>', 'the key id apikey:create printed, e.g. 3', idValue)
    .option('--json', JSON_HELP)
    .action(async (id: string, opts: { json?: boolean }) => {
      await withEm((em) => revokeApiKey(em, parseId(id, 'id')));
      printOutput(opts.json, { id, revoked: true }, () => `API key ${id} revoked.`);
    });
}
