/**
 * One fact source (fact-source.ts) per app, shared by every forecast, backtest and stage statistic computed while
 * the data versions it was read at hold (src/shared/answer-cache/data-versions.ts): the forecast page asks for a
 * forecast, a backtest, stage weights and cycle durations, and all four read one load. The source is in shared
 * memory, so the worker threads read this one copy; a write moves a version and the next request loads again (the
 * old copy is let go first, so two are never kept). Loads run one at a time: concurrent requests wait for the one
 * in progress instead of loading the same data twice. With a fact file (fact-file.ts), a source it does not hold is
 * first read from the file: served when its versions still hold, patched when only deals were written since.
 */
import type { Logger } from 'pino';
import type { Em } from '../../db/orm';
import { STAGE_STATS_TABLES, parseVersionKey, readVersionsSql, touchRanges, versionKey } from '../../shared/answer-cache/data-versions';
import { CancelledError, type HeavyJob, type HeavyWork, heavyWorkOf } from '../../shared/workers/pool';
import { readFactFile, writeFactFile } from './fact-file';
import type { FactSource } from './fact-source';
import { type SourceLoad, loadFactSource } from './facts.sql';

/** What a fact load reads (deals and their histories, stages, reps' teams, product families). */
export const FACT_TABLES = STAGE_STATS_TABLES;

/** A source nobody asked for in this long is let go (a million deals hold ~140 MB). */
const IDLE_MS = 10 * 60_000;

/**
 * A source is written to the fact file at once after a full load, then at most this often (a million deals write
 * ~140 MB): a restart finds at worst this much writing to patch in, read from the touch rows.
 */
const FILE_EVERY_MS = 60_000;

export interface FactFileOptions {
  /** Where the source is kept between starts (null: nowhere). */
  file: string | null;
  logger?: Pick<Logger, 'warn'>;
}

class FactCache {
  private held: SourceLoad | null = null;
  private loading: Promise<SourceLoad> | null = null;
  private idle: NodeJS.Timeout | null = null;
  /** Full loads and patches done since start (tests and benchmarks read them). */
  loads = 0;
  patches = 0;
  /** Sources read from the fact file, and written to it. */
  fileReads = 0;
  fileWrites = 0;
  private fileOptions: FactFileOptions = { file: null };
  /** The newest source not yet in the file, and the write that will take it. */
  private unwritten: SourceLoad | null = null;
  private fileTimer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private lastWriteAt = 0;
  private warned = false;

  constructor(private readonly work: HeavyWork) {}

  useFile(options: FactFileOptions) {
    this.fileOptions = options;
  }

  async get(em: Em, job: HeavyJob = {}): Promise<FactSource> {
    const wanted = await readVersions(em);
    if (this.held && covers(this.held.versions!, wanted)) {
      this.touch();
      return this.held.source;
    }
    // A load in progress may have read older versions than ours: then one more. A replica (the workers read from it
    // when there is one) may still lag behind what this request read on the primary: its load is served, as before.
    let loaded: SourceLoad | null = null;
    for (let attempt = 0; attempt < 2 && !(loaded && covers(loaded.versions!, wanted)); attempt++) {
      this.loading ??= this.load(em, wanted).finally(() => (this.loading = null));
      loaded = await untilAborted(this.loading, job.signal);
    }
    return loaded!.source;
  }

  private async load(em: Em, wanted: string): Promise<SourceLoad> {
    // only deal rows written since: those deals are read again and patched in (a new copy, fact-patch.ts); else
    // the source is let go first, never two copies (running tasks keep theirs until they finish)
    let before = this.held ?? (await this.fromFile());
    this.held = null;
    if (before?.versions && covers(before.versions, wanted)) return this.hold(before);
    const previous = before?.versions && touchRanges(before.versions, wanted) ? before : undefined;
    before = null;
    const loaded = this.work.database
      ? await this.work.run('loadFactSource', { database: this.work.database, versionTables: FACT_TABLES, previous })
      : await loadFactSource(em, { versionTables: FACT_TABLES, previous });
    if (loaded.patchedDeals == null) this.loads++;
    else this.patches++;
    if (loaded.patchedDeals !== 0) this.writeSoon(loaded);
    return this.hold(loaded);
  }

  private hold(load: SourceLoad): SourceLoad {
    this.held = load;
    this.touch();
    return load;
  }

  private async fromFile(): Promise<SourceLoad | null> {
    const file = this.fileOptions.file;
    const load = file ? await readFactFile(file) : null;
    if (load) this.fileReads++;
    return load;
  }

  /** Keeps `load` for the fact file: written at once after a start or a full load, else within FILE_EVERY_MS. */
  private writeSoon(load: SourceLoad) {
    if (!this.fileOptions.file) return;
    this.unwritten = load;
    if (this.fileTimer) return;
    const wait = load.patchedDeals == null ? 0 : Math.max(0, this.lastWriteAt + FILE_EVERY_MS - Date.now());
    this.fileTimer = setTimeout(() => void this.writeFile(), wait).unref();
  }

  private async writeFile(): Promise<void> {
    this.fileTimer = null;
    while (this.writing) await this.writing; // one write at a time, the latest source wins; a flush waits for it
    const load = this.unwritten;
    const file = this.fileOptions.file;
    if (!load || !file) return;
    this.unwritten = null;
    this.lastWriteAt = Date.now();
    this.writing = writeFactFile(file, load)
      .then(() => void this.fileWrites++)
      .catch((error: unknown) => {
        // a read-only folder or a full disk: forecasts go on from memory, a restart loads from the database
        if (!this.warned) this.fileOptions.logger?.warn({ file, err: error }, 'forecast facts could not be written to their file; a restart will load them from the database');
        this.warned = true;
      })
      .finally(() => (this.writing = null));
    await this.writing;
  }

  /** Writes what is not yet in the fact file (the server stops). */
  async flush(): Promise<void> {
    if (this.fileTimer) clearTimeout(this.fileTimer);
    this.fileTimer = null;
    await this.writeFile();
  }

  private touch() {
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => this.clear(), IDLE_MS).unref();
  }

  clear() {
    this.held = null;
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
  }
}

/** Versions as "db=…;deals=3;…" (versionKey): a load covers a request when it is of the same database and no older in any table. */
function covers(loaded: string, wanted: string): boolean {
  const have = parseVersionKey(loaded);
  for (const [table, version] of parseVersionKey(wanted)) {
    const mine = have.get(table);
    if (mine === undefined || (table === 'db' ? mine !== version : mine < version)) return false;
  }
  return true;
}

async function readVersions(em: Em): Promise<string> {
  const rows = await em.getConnection().execute<Array<{ table_name: string; version: number | string }>>(readVersionsSql(FACT_TABLES), [], 'all');
  return versionKey(FACT_TABLES, rows);
}

/** Waits for a shared load, giving up at the request's deadline (the load goes on for the others and the next request). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(new CancelledError('forecast facts'));
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(new CancelledError('forecast facts'));
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

const caches = new WeakMap<HeavyWork, FactCache>();

function cacheOf(em: Em): FactCache {
  const work = heavyWorkOf(em);
  let cache = caches.get(work);
  if (!cache) caches.set(work, (cache = new FactCache(work)));
  return cache;
}

/** The fact source at the current data versions: the app's shared one, or a fresh load. */
export function factSource(em: Em, job?: HeavyJob): Promise<FactSource> {
  return cacheOf(em).get(em, job);
}

/** Keeps the app's fact source in `options.file` between starts (createApp). */
export function useFactFile(em: Em, options: FactFileOptions): void {
  cacheOf(em).useFile(options);
}

/** Writes the source not yet in the fact file, if any (the app stops). */
export function flushFactFile(em: Em): Promise<void> {
  return cacheOf(em).flush();
}

/** Full loads, patches and fact-file reads and writes since start, for tests and benchmarks. */
export function factCacheStats(em: Em): { loads: number; patches: number; fileReads: number; fileWrites: number } {
  const cache = cacheOf(em);
  return { loads: cache.loads, patches: cache.patches, fileReads: cache.fileReads, fileWrites: cache.fileWrites };
}
