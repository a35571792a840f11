/**
 * The second reader of a SQLite fact load (fact-chunks.ts, facts.sql.ts): its own read-only connection, one read
 * transaction opened by reading the data versions (the caller keeps what it reads only when they equal its own), then
 * the id ranges it is asked for, one message each, answered in order with the chunk's buffers moved, not copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ChunkStatements, ChunkReader, type SqliteDatabase } from './fact-chunks';

export interface HelperData {
  filename: string;
  statements: ChunkStatements;
  versionsSql: string;
  busyTimeoutMs: number;
}

const { filename, statements, versionsSql, busyTimeoutMs } = workerData as HelperData;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('better-sqlite3') as new (file: string, options: object) => SqliteDatabase & { pragma(sql: string): unknown; close(): void };
const db = new Database(filename, { readonly: true, fileMustExist: true });
db.pragma(`busy_timeout = ${busyTimeoutMs}`);
db.exec('begin');
parentPort!.postMessage({ versions: db.prepare(versionsSql).all() });
const reader = new ChunkReader(db, statements);

parentPort!.on('message', (message: { lo: number; hi: number } | 'done') => {
  if (message === 'done') {
    db.exec('commit');
    db.close();
    parentPort!.close();
    return;
  }
  const chunk = reader.read(message.lo, message.hi);
  const r = chunk.revisions;
  const buffers = [chunk.rows?.buffer, r?.deal.buffer, r?.field.buffer, r?.at.buffer, r?.old.buffer].filter((b) => b !== undefined);
  parentPort!.postMessage({ chunk }, buffers as ArrayBuffer[]);
});
