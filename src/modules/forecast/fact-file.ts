/**
 * The fact source kept in a file beside the database, so a restarted server (or a second server process) starts
 * from the facts the last one held instead of a full load (a million deals: 5-10 s of SQL). The file names the data
 * versions it was read at; the fact cache (fact-cache.ts) serves it when they still hold and patches in the deals
 * written since otherwise (fact-patch.ts), exactly as it would the source it had in memory.
 *
 * Format: "PWFACTS" and a format number, the header's length, a JSON header (the scalars, stages, families, each
 * typed array's kind and place), then every typed array's bytes at 8-byte boundaries. It is written to a temporary
 * file, synced and renamed over the old one, so a reader sees a whole file or the previous one; a file of another
 * format, cut short or unreadable is ignored (a full load follows).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type FactSource, newLineage } from './fact-source';
import type { SourceLoad } from './facts.sql';

const MAGIC = 'PWFACTS';
const FORMAT = 1;
const PREFIX_BYTES = 16; // magic (7), format (1), header length (u32), reserved (u32)

type Kind = 'f64' | 'i32' | 'i16' | 'u8';
const KINDS: Record<Kind, { bytes: number; make: (buffer: SharedArrayBuffer) => ArrayBufferView }> = {
  f64: { bytes: 8, make: (b) => new Float64Array(b) },
  i32: { bytes: 4, make: (b) => new Int32Array(b) },
  i16: { bytes: 2, make: (b) => new Int16Array(b) },
  u8: { bytes: 1, make: (b) => new Uint8Array(b) },
};

/** By the array's tag, not instanceof: arrays a worker thread sent back may come from another realm (jest's vm). */
const TAGS: Record<string, Kind> = { Float64Array: 'f64', Int32Array: 'i32', Int16Array: 'i16', Uint8Array: 'u8' };

function kindOf(value: unknown): Kind | null {
  if (!ArrayBuffer.isView(value)) return null;
  const kind = TAGS[(value as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag]];
  if (!kind) throw new Error(`a fact source holds no ${(value as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag]}`);
  return kind;
}

interface ArrayPlace {
  kind: Kind;
  offset: number;
  length: number;
}

interface Header {
  format: number;
  versions: string;
  /** The source without its typed arrays (replaced by { $array: i }), maps ({ $map: entries }) and non-finite numbers ({ $num }). */
  source: unknown;
  arrays: ArrayPlace[];
  bytes: number;
}

/** The source as JSON plus its typed arrays, listed in the order their bytes follow. */
function encode(value: unknown, arrays: ArrayBufferView[]): unknown {
  if (kindOf(value)) return { $array: arrays.push(value as ArrayBufferView) - 1 };
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $num: String(value) };
  if (Object.prototype.toString.call(value) === '[object Map]') return { $map: [...(value as Map<unknown, unknown>)].map(([k, v]) => [encode(k, arrays), encode(v, arrays)]) };
  if (Array.isArray(value)) return value.map((v) => encode(v, arrays));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v, arrays)]));
  return value;
}

function decode(value: unknown, arrays: ArrayBufferView[]): unknown {
  if (Array.isArray(value)) return value.map((v) => decode(v, arrays));
  if (!value || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if ('$array' in o) return arrays[o.$array as number];
  if ('$num' in o) return Number(o.$num);
  if ('$map' in o) return new Map((o.$map as Array<[unknown, unknown]>).map(([k, v]) => [decode(k, arrays), decode(v, arrays)]));
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, decode(v, arrays)]));
}

const aligned = (n: number) => Math.ceil(n / 8) * 8;

/** Writes `load` (a source and the versions it was read at) to `file`, whole or not at all. */
export async function writeFactFile(file: string, load: SourceLoad): Promise<void> {
  if (!load.versions) throw new Error('a fact file needs the data versions its source was read at');
  const { lineage: _lineage, ...source } = load.source; // a lineage is the memory of one process (fact-source.ts)
  const arrays: ArrayBufferView[] = [];
  const encoded = encode(source, arrays);
  const places: ArrayPlace[] = [];
  let offset = 0;
  for (const a of arrays) {
    places.push({ kind: kindOf(a)!, offset, length: (a as Float64Array).length });
    offset = aligned(offset + a.byteLength);
  }
  const header = Buffer.from(JSON.stringify({ format: FORMAT, versions: load.versions, source: encoded, arrays: places, bytes: offset } satisfies Header));
  const headerBytes = aligned(header.length);
  const prefix = Buffer.alloc(PREFIX_BYTES);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt8(FORMAT, 7);
  prefix.writeUInt32LE(headerBytes, 8);
  const parts: Buffer[] = [prefix, Buffer.concat([header], headerBytes)];
  for (const [i, a] of arrays.entries()) {
    parts.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    const pad = (i + 1 < places.length ? places[i + 1].offset : offset) - places[i].offset - a.byteLength;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  const handle = await fs.open(temporary, 'w', 0o600); // deal amounts and owners: as private as the database
  try {
    let position = 0;
    for (const part of parts) {
      for (let done = 0; done < part.length; ) done += (await handle.write(part, done, part.length - done, position + done)).bytesWritten;
      position += part.length;
    }
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await fs.rename(temporary, file);
}

/** The source in `file` with the versions it was read at, its arrays in shared memory; null when there is none or it is not a whole file of this format. */
export async function readFactFile(file: string): Promise<SourceLoad | null> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return null; // none yet
  }
  try {
    const size = (await handle.stat()).size;
    if (size < PREFIX_BYTES) return null;
    const prefix = await readExactly(handle, Buffer.alloc(PREFIX_BYTES), 0);
    if (prefix.toString('latin1', 0, 7) !== MAGIC || prefix.readUInt8(7) !== FORMAT) return null;
    const headerBytes = prefix.readUInt32LE(8);
    if (PREFIX_BYTES + headerBytes > size) return null;
    const raw = await readExactly(handle, Buffer.alloc(headerBytes), PREFIX_BYTES);
    const header = JSON.parse(raw.toString('utf8').replace(/\0+$/, '')) as Header;
    const start = PREFIX_BYTES + headerBytes;
    if (header.format !== FORMAT || start + header.bytes !== size) return null;
    const arrays: ArrayBufferView[] = [];
    for (const place of header.arrays) {
      const kind = KINDS[place.kind];
      const buffer = new SharedArrayBuffer(place.length * kind.bytes);
      await readExactly(handle, new Uint8Array(buffer), start + place.offset);
      arrays.push(kind.make(buffer));
    }
    const source = decode(header.source, arrays) as FactSource;
    return { source: { ...source, lineage: newLineage() }, versions: header.versions };
  } catch {
    return null; // unreadable or not JSON: treated as none
  } finally {
    await handle.close();
  }
}

/** Fills `into` from `position` on; throws when the file ends first. */
async function readExactly<T extends Uint8Array>(handle: fs.FileHandle, into: T, position: number): Promise<T> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new Error('fact file cut short');
    done += bytesRead;
  }
  return into;
}
