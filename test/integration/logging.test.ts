import { Writable } from 'node:stream';
import { createLogger, logFormatFor } from '../../src/shared/logger';
import { AccessRole } from '../../src/modules/auth/identity';
import { createSecurityTestApp, post, tokenFor, type SecurityTestApp } from '../helpers/security';

/** Collects what a logger writes, one parsed JSON object per line. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('log format', () => {
  it('is JSON with ISO times and level names, pretty only in development on a terminal', () => {
    const out = capture();
    createLogger({ env: 'production', logLevel: 'info' }, 'json', out.stream).info({ port: 4000 }, 'listening');
    const [line] = out.json();
    expect(line).toMatchObject({ level: 'info', msg: 'listening', port: 4000 });
    expect(line.time).toEqual(new Date(line.time as string).toISOString());

    expect(logFormatFor('development', true, '')).toBe('pretty');
    expect(logFormatFor('development', false, '')).toBe('json');
    expect(logFormatFor('production', true, '')).toBe('json');
    expect(logFormatFor('production', true, 'pretty')).toBe('pretty');
  });

  it('pretty lines are readable: time, level name, message, fields', () => {
    const out = capture();
    createLogger({ env: 'development', logLevel: 'info' }, 'pretty', out.stream).warn({ kind: 'LEAD' }, 'no model yet');
    expect(out.lines[0]).toMatch(/^\[\d{2}:\d{2}:\d{2}\.\d{3}\] WARN: no model yet$/);
    expect(out.lines[1]).toMatch(/kind: "LEAD"/);
  });
});

describe('request and training logs (SQLite)', () => {
  let app: SecurityTestApp;
  const out = capture();

  beforeAll(async () => {
    app = await createSecurityTestApp('sqlite', {}, { logger: createLogger({ env: 'test', logLevel: 'info' }, 'json', out.stream) });
  });
  afterAll(async () => app?.close());

  it('names an unnamed operation "anonymous query" in the access log', async () => {
    const url = await app.listen(0, '127.0.0.1');
    const auth = { authorization: `Bearer ${await tokenFor(app, { subject: 'admin', role: AccessRole.ADMIN, repId: null, teamId: null })}` };
    expect((await post(url, { query: '{ stages { id } }' }, auth)).status).toBe(200);
    expect((await post(url, { query: 'query Stages { stages { id } }' }, auth)).status).toBe(200);
    const operations = out.json().filter((l) => 'operation' in l).map((l) => l.operation);
    expect(operations).toEqual(['anonymous query', 'Stages']);
  });

  it('logs training started through GraphQL, and its outcome', async () => {
    const res = await app.execute<{ trainModel: { version: string } }>('mutation { trainModel(kind: LEAD) { version status } }');
    expect(res.errors).toBeUndefined();
    const version = res.data!.trainModel.version;
    for (let i = 0; i < 100 && !out.json().some((l) => l.version === version && l.status); i++) await new Promise((r) => setTimeout(r, 100));
    const lines = out.json().filter((l) => l.version === version);
    expect(lines[0]).toMatchObject({ level: 'info', kind: 'LEAD', msg: expect.stringContaining('training a LEAD model') });
    // An empty database has no closed history: the job ends FAILED with the reason, and the log says so.
    expect(lines.at(-1)).toMatchObject({ level: 'warn', status: 'FAILED', msg: expect.stringContaining('not trained') });
  });
});
