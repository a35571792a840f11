/** Deletes the run's cached databases (test/helpers/templates.ts): the SQLite files and the PostgreSQL templates. */
const fs = require('node:fs');

module.exports = async () => {
  const cache = process.env.PIPEWISE_TEST_CACHE;
  if (cache) fs.rmSync(cache, { recursive: true, force: true });
  const run = process.env.PIPEWISE_TEST_RUN;
  if (!run || !process.env.TEST_DATABASE_URL) return;
  const { Client } = require('pg');
  const client = new Client({ connectionString: process.env.TEST_DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query(`select datname from pg_database where datname like $1`, [`pipewise\\_tpl\\_${run}\\_%`]);
    for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
  } finally {
    await client.end();
  }
};
