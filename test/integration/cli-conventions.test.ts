import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli';
import { runCli } from '../helpers/cli';

/**
 * README "CLI conventions", through the real binary (bin/pipewise.js on the built dist/): exit 0 on success,
 * 1 when the work failed, 2 for usage errors, with messages that name the flag and an accepted example.
 */
// Each case spawns the binary a few times (1-4 s each, more on a loaded machine).
jest.setTimeout(180_000);

describe('pipewise CLI conventions (SQLite file)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipewise-cli-'));
  const env = { DATABASE_URL: path.join(dir, 'pipewise.db'), MODELS_DIR: path.join(dir, 'models'), JWT_SECRET: 'cli-conventions-secret-0123456789ab' };
  const run = (...args: string[]) => runCli(args, env);
  const usage = async (args: string[], ...messages: Array<string | RegExp>) => {
    const result = await run(...args);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: '' });
    for (const m of messages) expect(result.stderr).toMatch(m);
  };

  beforeAll(async () => {
    const seeded = await run('seed', '--seed', '5', '--deals', '300', '--end', '2026-11-23', '--json');
    expect(seeded.code).toBe(0);
    expect(JSON.parse(seeded.stdout)).toMatchObject({ seed: 5, end: '2026-11-23T00:00:00.000Z', counts: { deals: 300 } });
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses an unknown option as unknown, with a suggestion, before asking for missing ones', async () => {
    await usage(['forecast', '--perod', '2026-Q4'], "error: unknown option '--perod'", '(Did you mean --period?)');
    await usage(['forecast'], "error: required option '--period <period>' not specified");
    await usage(['forecats'], "error: unknown command 'forecats'", '(Did you mean forecast?)');
  });

  it('refuses bad values naming the flag and an accepted example', async () => {
    await usage(['seed', '--end', '2026-02-30'], "option '--end <date>' argument '2026-02-30' is invalid", 'e.g. 2026-10-01');
    await usage(['seed', '--deals', 'many'], "option '--deals <n>' argument 'many' is invalid", 'e.g. 20000');
    await usage(['forecast', '--period', '2026-Q4', '--group-by', 'region'], "option '--group-by <dimension>' argument 'region' is invalid", 'e.g. company');
    await usage(['forecast', '--period', '2026-Q9'], /period must be a month \("2026-11"\), a quarter \("2026-Q4"\) or a year/);
    await usage(['token', '--role', 'SDR', '--ttl', 'forever'], "option '--ttl <duration>' argument 'forever' is invalid", 'e.g. 30m, 8h, 7d or 1y');
    await usage(['token', '--role', 'boss'], "option '--role <role>' argument 'boss' is invalid", 'expected one of sdr, ae, manager, exec, admin, e.g. sdr');
  });

  it('refuses unknown ids instead of printing zeros', async () => {
    await usage(['forecast', '--period', '2026-Q4', '--team', '999'], '--team 999: no such team', 'e.g. --team 1');
    await usage(['forecast', '--period', '2026-Q4', '--rep', '99999'], '--rep 99999: no such rep');
    await usage(['backtest', '--from', '2015-01-01', '--to', '2016-01-01'], /--from 2015-01-01 is before the history starts \(first deal \d{4}-\d\d-\d\d\): e\.g\. --from \d{4}-\d\d-01/);
    await usage(['apikey:revoke', '424242'], 'ApiKey 424242 does not exist');
  });

  it('apikey:create and token speak in their own flags', async () => {
    await usage(['apikey:create', '--name', 'crm-sync', '--role', 'manager'], 'a MANAGER key acts as a rep: add --rep <id>, e.g. --rep 2');
    await usage(['apikey:create', '--name', 'crm-sync', '--role', 'manager', '--rep', '99999'], '--rep 99999: no such rep');
    const sdr = JSON.parse((await run('token', '--role', 'sdr', '--json')).stdout);
    await usage(['token', '--role', 'ae', '--rep', String(sdr.repId)], new RegExp(`--rep ${sdr.repId} is SDR, not AE: pass --role SDR, or a rep with that role, e\\.g\\. --rep \\d+`));
  });

  it('exits 0 with JSON for scripts, and 1 when the work itself fails', async () => {
    const forecast = await run('forecast', '--period', '2026-Q4', '--as-of', '2026-11-01', '--json');
    expect(forecast.code).toBe(0);
    const f = JSON.parse(forecast.stdout);
    expect(f).toMatchObject({ period: '2026-Q4', groupBy: 'COMPANY' });
    expect(f.total.p10).toBeLessThanOrEqual(f.total.p90);
    const key = await run('apikey:create', '--name', 'ci', '--role', 'admin', '--json');
    expect(key.code).toBe(0);
    expect(JSON.parse(key.stdout)).toMatchObject({ name: 'ci', role: 'ADMIN', key: expect.stringMatching(/^pw_\d+_/) });
    // 300 deals are below the lead model's minimum history: the work fails (1), it is not a usage error.
    const train = await run('train', '--model', 'lead');
    expect(train.code).toBe(1);
    expect(train.stderr).toMatch(/^error: Insufficient data for the lead model: \d+ closed examples .*; needs at least 1000/);
  });
});

describe('every command', () => {
  const commands = (program: Command): Command[] => program.commands.flatMap((c) => [c, ...commands(c)]);

  it('offers --json (serve excepted: it runs the server, whose logs are JSON lines)', () => {
    const missing = commands(buildProgram())
      .filter((c) => c.name() !== 'serve' && !c.options.some((o) => o.long === '--json'))
      .map((c) => c.name());
    expect(missing).toEqual([]);
  });
});
