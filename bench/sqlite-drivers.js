/**
 * Compares the three SQLite drivers MikroORM 6 offers on the same work: 200,000 inserts in one transaction
 * through a prepared statement, then a GROUP BY over them. Run from a folder where each driver is installed:
 *   node bench/sqlite-drivers.js <dir-with-sqlite3> <dir-with-better-sqlite3> <dir-with-libsql>
 * Install times were measured separately (see README "Why libsql").
 */
const path = require('node:path');
const fs = require('node:fs');
const os = require('node:os');
const N = 200_000;

function rows() {
  const out = [];
  for (let i = 0; i < N; i++) out.push([i % 97, (i * 7919) % 100000, Date.UTC(2024, 0, 1) + i * 60000]);
  return out;
}

async function benchSync(label, Database) {
  const file = path.join(os.tmpdir(), `drv-${label}-${process.pid}.db`);
  const db = new Database(file);
  db.exec('create table t (id integer primary key, g integer, amount integer, at integer)');
  const data = rows();
  let t = process.hrtime.bigint();
  const stmt = db.prepare('insert into t (g, amount, at) values (?, ?, ?)');
  db.exec('begin');
  for (const r of data) stmt.run(...r);
  db.exec('commit');
  const insertMs = Number(process.hrtime.bigint() - t) / 1e6;
  t = process.hrtime.bigint();
  const res = db.prepare('select g, count(*) c, sum(amount) s from t group by g').all();
  const aggMs = Number(process.hrtime.bigint() - t) / 1e6;
  db.close();
  fs.rmSync(file, { force: true });
  console.log(`${label.padEnd(16)} insert ${N}: ${insertMs.toFixed(0)} ms  group-by: ${aggMs.toFixed(1)} ms  (${res.length} groups)`);
}

async function benchSqlite3(Database) {
  const file = path.join(os.tmpdir(), `drv-sqlite3-${process.pid}.db`);
  const db = new Database.Database(file);
  const run = (sql, p = []) => new Promise((ok, ko) => db.run(sql, p, (e) => (e ? ko(e) : ok())));
  const all = (sql) => new Promise((ok, ko) => db.all(sql, (e, r) => (e ? ko(e) : ok(r))));
  await run('create table t (id integer primary key, g integer, amount integer, at integer)');
  const data = rows();
  let t = process.hrtime.bigint();
  await run('begin');
  const stmt = db.prepare('insert into t (g, amount, at) values (?, ?, ?)');
  for (const r of data) await new Promise((ok, ko) => stmt.run(r, (e) => (e ? ko(e) : ok())));
  await new Promise((ok) => stmt.finalize(ok));
  await run('commit');
  const insertMs = Number(process.hrtime.bigint() - t) / 1e6;
  t = process.hrtime.bigint();
  const res = await all('select g, count(*) c, sum(amount) s from t group by g');
  const aggMs = Number(process.hrtime.bigint() - t) / 1e6;
  await new Promise((ok) => db.close(ok));
  fs.rmSync(file, { force: true });
  console.log(`${'sqlite3'.padEnd(16)} insert ${N}: ${insertMs.toFixed(0)} ms  group-by: ${aggMs.toFixed(1)} ms  (${res.length} groups)`);
}

(async () => {
  const [d1, d2, d3] = process.argv.slice(2);
  if (d1) await benchSqlite3(require(require.resolve('sqlite3', { paths: [d1] })));
  if (d2) await benchSync('better-sqlite3', require(require.resolve('better-sqlite3', { paths: [d2] })));
  if (d3) await benchSync('libsql', require(require.resolve('libsql', { paths: [d3] })));
})();
