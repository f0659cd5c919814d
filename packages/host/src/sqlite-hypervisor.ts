/**
 * The simulated hypervisor on the host file: what Xen keeps per domain (`struct domain`,
 * `xen/include/xen/sched.h`), the HVM params array (`xen/arch/x86/hvm/hvm.c`) and guest pages,
 * one row per domain, per set param and per chunk of 16 frames with any written (`memory-chunks.ts`).
 * Page writes inside one write transaction are gathered per chunk and stored once each; a domain's
 * memory loaded in bulk goes to a file of its own instead (`memory-files.ts`).
 *
 * Domids come from a rover kept in the file, as `XEN_DOMCTL_createdomain` allocates them in
 * `xen/common/domctl.c` (4.17): the next free one after the last allocated, wrapping to 1 at
 * `DOMID_FIRST_RESERVED`; the rover is read and advanced inside one `BEGIN IMMEDIATE` transaction,
 * so creators in different processes never get the same domid.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  allocateDomid,
  appendConsoleLog,
  applySchedCredit2,
  clearConsoleLog,
  checkCreateDomainOptions,
  checkGpe,
  checkPagesBuffer,
  checkPendingStart,
  checkShutdownReason,
  checkTrigger,
  readConsoleLog,
  HVM_NR_PARAMS,
  XC_PAGE_SIZE,
  XcError,
  runGuestWork,
  type ConsoleOutput,
  type CreateDomainOptions,
  type DomainInfo,
  type DomainTrigger,
  type DomainType,
  type GuestModel,
  type Hypervisor,
  type PagesHeld,
  type PendingStart,
  type SchedCredit2,
  type ShutdownReason,
} from '@xen-genid/xc-params';
import { returnFreePages, type SqliteDatabase } from './database.ts';
import { HostError, sqliteCode, translateSqliteError } from './errors.ts';
import { ALL_FRAMES, PAGES_PER_CHUNK, chunkBytes, chunkOf, frameOfChunk, framesOfChunk, mergeChunk, slotOf, type StoredChunk } from './memory-chunks.ts';
import { memoryDirOf, newMemoryFileName, sweepMemoryFiles, writeAllAt } from './memory-files.ts';
import { currentProcess } from './process-identity.ts';
import type { ReadCache } from './read-cache.ts';

interface DomainRow {
  domid: number;
  type: string;
  uuid: string;
  max_mem_kb: number;
  vcpus: number;
  paused: number;
  shutdown: string | null;
  pending_start: string | null;
  created_at: number;
  cpu_time_ns: number;
}

const DOMAIN_COLUMNS = 'domid, type, uuid, max_mem_kb, vcpus, paused, shutdown, pending_start, created_at, cpu_time_ns';
const UINT64_MAX = (1n << 64n) - 1n;

function toInfo(row: DomainRow): DomainInfo {
  return {
    domid: row.domid,
    type: row.type as DomainType,
    uuid: row.uuid,
    maxMemKb: row.max_mem_kb,
    vcpus: row.vcpus,
    paused: row.paused !== 0,
    shutdown: row.shutdown as ShutdownReason | null,
    pendingStart: row.pending_start as PendingStart,
    createdAt: row.created_at,
    cpuTimeNs: row.cpu_time_ns,
  };
}

/**
 * The listing's query: each domain as one text cell, its fields separated by spaces, the free-form
 * uuid last and a NULL as an empty field. better-sqlite3 makes an array or an object per row (and
 * sets each cell into it) at a cost that dominates a listing of thousands of domains; one string per
 * row, split here, costs a fraction of that.
 */
const LIST_TEXT = `SELECT domid || ' ' || max_mem_kb || ' ' || vcpus || ' ' || paused || ' ' || created_at || ' ' ||
  cpu_time_ns || ' ' || type || ' ' || coalesce(shutdown, '') || ' ' || coalesce(pending_start, '') || ' ' || uuid
  FROM domains ORDER BY domid`;

/** A `LIST_TEXT` row as a `DomainInfo`. */
function listedInfo(text: string): DomainInfo {
  const fields = text.split(' ');
  return {
    domid: Number(fields[0]),
    type: fields[6] as DomainType,
    uuid: fields.length === 10 ? fields[9]! : fields.slice(9).join(' '),
    maxMemKb: Number(fields[1]),
    vcpus: Number(fields[2]),
    paused: fields[3] !== '0',
    shutdown: (fields[7] || null) as ShutdownReason | null,
    pendingStart: (fields[8] || null) as PendingStart,
    createdAt: Number(fields[4]),
    cpuTimeNs: Number(fields[5]),
  };
}

function noDomain(domid: number): XcError {
  return new XcError('ESRCH', `no domain ${domid}`);
}

/** A domid argument's shape: anything a `domid_t` holds (existence is checked apart). */
function checkDomid(domid: number): void {
  if (!Number.isInteger(domid) || domid < 0 || domid > 0xffff) {
    throw new XcError('EINVAL', `domid ${String(domid)} is not a valid domid_t`);
  }
}

function checkParamIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= HVM_NR_PARAMS) {
    throw new XcError('EINVAL', `HVM param ${String(index)} is not an integer below HVM_NR_PARAMS (${HVM_NR_PARAMS})`);
  }
}

/** Bytes of a chunk with every frame written. */
const CHUNK_BYTES = PAGES_PER_CHUNK * XC_PAGE_SIZE;

/** Whether a chunk's row has every frame and keeps them in the domain's memory file. */
function inFileWhole(row: ChunkRow | undefined): row is ChunkRow & { at: number } {
  return row !== undefined && row.at !== null && row.present === ALL_FRAMES;
}

/** Whether `pfns` from `index` on are chunk `chunk`'s frames, each in order. */
function wholeChunkAt(pfns: readonly number[], index: number, chunk: number): boolean {
  if (index + PAGES_PER_CHUNK > pfns.length) return false;
  const first = chunk * PAGES_PER_CHUNK;
  for (let slot = 0; slot < PAGES_PER_CHUNK; slot += 1) if (pfns[index + slot] !== first + slot) return false;
  return true;
}

function checkPfn(pfn: number): void {
  if (!Number.isSafeInteger(pfn) || pfn < 0) {
    throw new XcError('EINVAL', `page frame number ${String(pfn)} is not a non-negative integer`);
  }
}

/** Page writes of one chunk gathered in a write transaction, stored when it ends (or before any other access). */
interface PendingChunk {
  readonly domid: number;
  readonly chunk: number;
  /** A bit per slot written. */
  written: number;
  /** Each written slot's bytes at `slot * XC_PAGE_SIZE`. */
  readonly frames: Uint8Array;
}

/** Chunks gathered before they are stored, inside the transaction: 16 MiB of guest memory. */
const PENDING_CHUNKS_KEPT = 256;

/** Memory files kept open for reading at once. */
const OPEN_MEMORY_FILES = 8;

/** `OpenHostOptions.memoryFileChunks`' default: 1 MiB of a domain's memory stored in one write transaction. */
const MEMORY_FILE_CHUNKS = 16;

/** One key per (domid, chunk): domids are below 2^16, chunks below 2^36 (frames below 2^40). */
const chunkKey = (domid: number, chunk: number): number => chunk * 0x10000 + domid;

const NO_FRAMES: StoredChunk = { present: 0, data: new Uint8Array(0) };

/** A memory row as read. */
interface ChunkRow {
  readonly present: number;
  readonly data: Buffer;
  /** Where its bytes are in the domain's memory file; null: in `data`. */
  readonly at: number | null;
}

/** A memory row's data when its bytes are in the domain's memory file. */
const IN_FILE = new Uint8Array(0);

/** A memory file made by the write transaction under way, filled as its chunks are stored. */
interface FillingFile {
  readonly name: string;
  readonly fd: number;
  /** Bytes written so far: the next chunk's place (the file is only ever appended to). */
  size: number;
}

/** Chunks to append to a memory file with one write, from `at` (its size before them). */
interface Appends {
  readonly file: FillingFile;
  readonly at: number;
  readonly chunks: Uint8Array[];
}

/** Hooks the host gives the hypervisor (crash points for tests, destroy of a domain's other state). */
export interface HypervisorHooks {
  /** Called at named steps; the reliability tests make a process die there. */
  step?(name: string): void;
  /** The clock for `createdAt` (milliseconds since the epoch); default `Date.now`. */
  now?(): number;
  /** Record create and destroy claims for crash recovery (default true). */
  trackOperations?: boolean;
  /** Makes the guest model its domains run, once, on first use (`OpenHostOptions.guestModel`). */
  guestModel?(): GuestModel | undefined;
  /** `OpenHostOptions.memoryFileChunks`. */
  memoryFileChunks?: number;
}

/**
 * `Hypervisor` on SQLite. Every method is one atomic SQLite statement or transaction; reads go
 * through a cache validated by `PRAGMA data_version`.
 */
export class SqliteHypervisor implements Hypervisor {
  readonly #db: SqliteDatabase;
  readonly #file: string;
  readonly #cache: ReadCache;
  readonly #hooks: HypervisorHooks;
  readonly #domains: Map<number, DomainInfo | null>;
  readonly #params: Map<number, Map<number, bigint>>;
  /** The chunk read last (one entry: a save reads a chunk's frames one after the other). */
  readonly #chunks: Map<number, StoredChunk>;
  readonly #pending = new Map<number, PendingChunk>();
  /**
   * Frame buffers of stored pending chunks, for the next ones (SQLite copies a bound blob): a
   * restore then writes its pages through at most `PENDING_CHUNKS_KEPT` buffers, not one per chunk.
   */
  readonly #spareFrames: Uint8Array[] = [];
  /** Write transactions under way (nested ones count): page writes are gathered while it is above 0. */
  #depth = 0;
  /** Where the domains' memory files are (none for a database without a file). */
  readonly #memoryDir: string | undefined;
  /** Chunks of a domain stored in one write transaction from which the rest goes to a memory file. */
  readonly #fileChunks: number;
  /** The memory files the write transaction under way is filling, by domid. */
  readonly #filling = new Map<number, FillingFile>();
  /** Whether this process made any memory file (its own leftovers are swept at close). */
  #madeFiles = false;
  /** Chunks the write transaction under way stored, by domid. */
  readonly #storedInWrite = new Map<number, number>();
  /** Memory files of domains the write transaction under way destroyed or reset. */
  readonly #dropped: string[] = [];
  /**
   * Memory files open for reading, by name (a name is never reused, so an open file is the one its
   * name stands for while a domain names it), the least recently opened first; at most
   * `OPEN_MEMORY_FILES`, all closed by `closeMemoryFiles`.
   */
  readonly #readers = new Map<string, number>();
  /** Domains found to exist in the write transaction under way (a chunk's first write checks its domain once). */
  readonly #present = new Set<number>();
  #bound: { readonly model: GuestModel | undefined } | undefined;
  readonly #now: () => number;

  readonly #select;
  readonly #list;
  readonly #withUuid;
  readonly #selectParam;
  readonly #upsertParam;
  readonly #selectChunk;
  readonly #chunkRange;
  readonly #upsertChunk;
  readonly #selectFile;
  readonly #insertFile;
  readonly #clearFile;
  readonly #touched;
  readonly #insertDomain;
  readonly #deleteDomain;
  readonly #rover;
  readonly #setRover;
  readonly #domidUsed;
  readonly #setPaused;
  readonly #setShutdown;
  readonly #setPending;
  readonly #unpause;
  readonly #selectRecord;
  readonly #setRecord;
  readonly #selectXenConsole;
  readonly #setXenConsole;
  readonly #selectSched;
  readonly #setSched;
  readonly #selectConsole;
  readonly #upsertConsole;
  readonly #clearParams;
  readonly #clearPages;
  readonly #reset;
  readonly #chargeCpuTime;
  readonly #claim;
  readonly #unclaim;
  readonly #unclaimPause;

  constructor(db: SqliteDatabase, file: string, cache: ReadCache, hooks: HypervisorHooks = {}) {
    this.#db = db;
    this.#file = file;
    this.#cache = cache;
    this.#hooks = hooks;
    this.#now = hooks.now ?? Date.now;
    this.#domains = cache.region();
    this.#params = cache.region();
    this.#chunks = cache.region();
    this.#memoryDir = file === ':memory:' || file === '' ? undefined : memoryDirOf(file);
    this.#fileChunks = hooks.memoryFileChunks ?? MEMORY_FILE_CHUNKS;
    this.#select = db.prepare(`SELECT ${DOMAIN_COLUMNS} FROM domains WHERE domid = ?`);
    this.#list = db.prepare(LIST_TEXT).pluck();
    this.#withUuid = db.prepare('SELECT domid FROM domains WHERE uuid = ? ORDER BY domid').pluck();
    this.#selectParam = db.prepare('SELECT value FROM params WHERE domid = ? AND idx = ?').pluck().safeIntegers(true);
    this.#upsertParam = db.prepare(
      'INSERT INTO params (domid, idx, value) VALUES (?, ?, ?) ON CONFLICT (domid, idx) DO UPDATE SET value = excluded.value',
    );
    this.#selectChunk = db.prepare('SELECT present, data, at FROM memory WHERE domid = ? AND chunk = ?');
    this.#chunkRange = db.prepare('SELECT chunk, present, data, at FROM memory WHERE domid = ? AND chunk BETWEEN ? AND ?');
    this.#upsertChunk = db.prepare(
      'INSERT INTO memory (domid, chunk, present, data, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (domid, chunk) DO UPDATE SET present = excluded.present, data = excluded.data, at = excluded.at',
    );
    this.#selectFile = db.prepare('SELECT name FROM memory_files WHERE domid = ?').pluck();
    this.#insertFile = db.prepare('INSERT OR REPLACE INTO memory_files (domid, name) VALUES (?, ?)');
    this.#clearFile = db.prepare('DELETE FROM memory_files WHERE domid = ?');
    this.#touched = db.prepare('SELECT chunk, present FROM memory WHERE domid = ? ORDER BY chunk');
    this.#insertDomain = db.prepare(
      `INSERT INTO domains (${DOMAIN_COLUMNS}) VALUES (@domid, @type, @uuid, @max_mem_kb, @vcpus, @paused, @shutdown, @pending_start, @created_at, @cpu_time_ns)`,
    );
    this.#deleteDomain = db.prepare('DELETE FROM domains WHERE domid = ?');
    this.#rover = db.prepare("SELECT value FROM hv_state WHERE key = 'domid_rover'").pluck();
    this.#setRover = db.prepare("UPDATE hv_state SET value = ? WHERE key = 'domid_rover'");
    this.#domidUsed = db.prepare('SELECT 1 FROM domains WHERE domid = ?').pluck();
    this.#setPaused = db.prepare('UPDATE domains SET paused = ? WHERE domid = ?');
    this.#setShutdown = db.prepare('UPDATE domains SET shutdown = ? WHERE domid = ?');
    this.#chargeCpuTime = db.prepare('UPDATE domains SET cpu_time_ns = cpu_time_ns + ? WHERE domid = ?');
    this.#setPending = db.prepare('UPDATE domains SET pending_start = ? WHERE domid = ?');
    this.#unpause = db.prepare('UPDATE domains SET paused = 0, pending_start = NULL WHERE domid = ?');
    this.#selectRecord = db.prepare('SELECT guest_record FROM domains WHERE domid = ?').pluck();
    this.#setRecord = db.prepare('UPDATE domains SET guest_record = ? WHERE domid = ?');
    this.#selectXenConsole = db.prepare('SELECT start, data FROM xen_console WHERE id = 0');
    this.#setXenConsole = db.prepare('UPDATE xen_console SET start = ?, data = ? WHERE id = 0');
    this.#selectSched = db.prepare('SELECT sched_weight AS weight, sched_cap AS cap FROM domains WHERE domid = ?');
    this.#setSched = db.prepare('UPDATE domains SET sched_weight = ?, sched_cap = ? WHERE domid = ?');
    this.#selectConsole = db.prepare('SELECT start, data FROM consoles WHERE domid = ?');
    this.#upsertConsole = db.prepare(
      'INSERT INTO consoles (domid, start, data) VALUES (?, ?, ?) ON CONFLICT (domid) DO UPDATE SET start = excluded.start, data = excluded.data',
    );
    this.#clearParams = db.prepare('DELETE FROM params WHERE domid = ?');
    this.#clearPages = db.prepare('DELETE FROM memory WHERE domid = ?');
    this.#reset = db.prepare(
      "UPDATE domains SET guest_record = NULL, pending_start = 'boot', paused = 1, shutdown = NULL, cpu_time_ns = 0 WHERE domid = ?",
    );
    this.#claim = db.prepare(
      'INSERT OR REPLACE INTO claims (domid, kind, uuid, pid, pid_start) VALUES (?, ?, ?, ?, ?)',
    );
    this.#unclaim = db.prepare("DELETE FROM claims WHERE domid = ? AND kind IN ('create', 'pause')");
    this.#unclaimPause = db.prepare("DELETE FROM claims WHERE domid = ? AND kind = 'pause'");
  }

  /**
   * Runs `body` in one write transaction (nested calls join it); the cache forgets on failure.
   * Page writes in it are gathered per chunk and stored when it ends or before the next other call.
   */
  #write<T>(body: () => T): T {
    let committed = false;
    const outermost = !this.#db.inTransaction;
    try {
      this.#storePending();
      const result = this.#db
        .transaction(() => {
          this.#depth += 1;
          try {
            // What a guest's start reads (its xenstore keys) is what is stored now.
            if (outermost) this.#cache.revalidate();
            const result = body();
            this.#storePending();
            // The memory files it filled are on disk before the transaction that names them commits.
            if (this.#depth === 1 && this.#filling.size > 0) {
              for (const file of this.#filling.values()) fsyncSync(file.fd);
              this.#hooks.step?.('hypervisor.memoryFileSynced');
            }
            return result;
          } catch (error) {
            // Rolled back: what was gathered since this call began is dropped with it (and a domain
            // it made may be gone again).
            this.#pending.clear();
            this.#present.clear();
            throw error;
          } finally {
            this.#depth -= 1;
          }
        })
        .immediate();
      committed = true;
      this.#cache.committed();
      return result;
    } catch (error) {
      this.#cache.clear();
      throw translateSqliteError(error, this.#file, this.#db);
    } finally {
      if (this.#depth === 0) this.#settleFiles(committed);
    }
  }

  /**
   * After the outermost write: the files it filled are closed (and removed if it rolled back), and
   * the files of the domains it destroyed or reset are removed once that is committed (inside a
   * caller's transaction that may still roll back, they are left for `removeStrayMemoryFiles`).
   */
  #settleFiles(committed: boolean): void {
    for (const file of this.#filling.values()) {
      closeSync(file.fd);
      if (!committed) this.#removeFile(file.name);
    }
    this.#filling.clear();
    this.#storedInWrite.clear();
    this.#present.clear();
    if (committed && !this.#db.inTransaction) {
      for (const name of this.#dropped) this.#removeFile(name);
    }
    this.#dropped.length = 0;
  }

  #removeFile(name: string): void {
    const fd = this.#readers.get(name);
    if (fd !== undefined) closeSync(fd);
    this.#readers.delete(name);
    if (this.#memoryDir !== undefined) rmSync(join(this.#memoryDir, name), { force: true });
  }

  /**
   * Removes the memory files no domain names any more: left by a write that did not commit, or by a
   * destroy whose process died before it removed the file (`memory-files.ts`). The host calls it
   * when it recovers and when it closes.
   */
  removeStrayMemoryFiles(): void {
    if (this.#memoryDir === undefined || this.#depth > 0) return;
    const filling = new Set([...this.#filling.values()].map((file) => file.name));
    sweepMemoryFiles(this.#memoryDir, () => new Set(this.#read(() => this.#db.prepare('SELECT name FROM memory_files').pluck().all() as string[])), filling);
  }

  /** Whether this process made a memory file since it opened the host. */
  get madeMemoryFiles(): boolean {
    return this.#madeFiles;
  }

  #read<T>(body: () => T): T {
    try {
      this.#storePending();
      return body();
    } catch (error) {
      throw translateSqliteError(error, this.#file, this.#db);
    }
  }

  #forget(domid: number): void {
    this.#domains.delete(domid);
    this.#params.delete(domid);
    this.#chunks.clear();
  }

  /**
   * Inside a write transaction: stores the gathered page writes, each chunk merged with its row.
   * Once the transaction has stored `memoryFileChunks` chunks of a domain without a memory file, the
   * domain gets one, and its chunks from then on in this transaction are appended to it.
   */
  #storePending(): void {
    if (this.#pending.size === 0) return;
    this.#chunks.clear();
    const named = new Set<number>();
    // Each file's chunks go out together, in one writev(2), once their rows are stored.
    const appends = new Map<FillingFile, Appends>();
    for (const pending of this.#pending.values()) {
      const { domid, chunk } = pending;
      const count = (this.#storedInWrite.get(domid) ?? 0) + 1;
      this.#storedInWrite.set(domid, count);
      // A chunk written whole replaces what was stored: no need to read it.
      const stored = pending.written === ALL_FRAMES ? undefined : this.#readChunk(domid, chunk);
      const { present, data } = mergeChunk(stored, pending.written, pending.frames);
      const file = this.#filling.get(domid) ?? (count >= this.#fileChunks && this.#memoryDir !== undefined ? this.#newFile(domid) : undefined);
      if (file === undefined) {
        this.#upsertChunk.run(domid, chunk, present, data, null);
        continue;
      }
      // Named in each store: a savepoint rolled back may have taken an earlier naming with it.
      if (!named.has(domid)) this.#insertFile.run(domid, file.name);
      named.add(domid);
      let pendingAppends = appends.get(file);
      if (pendingAppends === undefined) appends.set(file, (pendingAppends = { file, at: file.size, chunks: [] }));
      pendingAppends.chunks.push(data);
      this.#upsertChunk.run(domid, chunk, present, IN_FILE, file.size);
      file.size += data.length;
    }
    // Before the chunks' buffers go back to be reused.
    for (const pendingAppends of appends.values()) this.#append(pendingAppends);
    for (const pending of this.#pending.values()) {
      if (this.#spareFrames.length < PENDING_CHUNKS_KEPT) this.#spareFrames.push(pending.frames);
    }
    this.#pending.clear();
  }

  /** Inside a write transaction: a memory file for a domain that has none yet (undefined if it has one). */
  #newFile(domid: number): FillingFile | undefined {
    if (this.#selectFile.get(domid) !== undefined) return undefined;
    const dir = this.#memoryDir!;
    const name = newMemoryFileName(domid);
    let fd: number;
    try {
      mkdirSync(dir, { recursive: true });
      fd = openSync(join(dir, name), 'wx+');
    } catch (error) {
      throw new HostError('CANNOT_OPEN', `memory file ${join(dir, name)} of host ${this.#file} cannot be created (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
    }
    const file = { name, fd, size: 0 };
    this.#filling.set(domid, file);
    this.#madeFiles = true;
    return file;
  }

  #append({ file, at, chunks }: Appends): void {
    try {
      writeAllAt(file.fd, chunks, at);
    } catch (error) {
      throw new HostError('CANNOT_OPEN', `memory file ${join(this.#memoryDir!, file.name)} of host ${this.#file} cannot be written (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
    }
  }

  #lookup(domid: number): DomainInfo | undefined {
    checkDomid(domid);
    const cached = this.#cache.validate() ? this.#domains.get(domid) : undefined;
    if (cached !== undefined) return cached ?? undefined;
    const row = this.#read(() => this.#select.get(domid) as DomainRow | undefined);
    const info = row ? toInfo(row) : undefined;
    this.#domains.set(domid, info ?? null);
    return info;
  }

  #require(domid: number): DomainInfo {
    const info = this.#lookup(domid);
    if (!info) throw noDomain(domid);
    return info;
  }

  /** Inside a write transaction: the domain as stored now (no cache). */
  #current(domid: number): DomainRow {
    checkDomid(domid);
    const row = this.#select.get(domid) as DomainRow | undefined;
    if (!row) throw noDomain(domid);
    return row;
  }

  /** Inside a write transaction: a domain other than Domain-0, which cannot pause, reset or destroy itself. */
  #guest(domid: number, action: string): DomainRow {
    const row = this.#current(domid);
    if (domid === 0) throw new XcError('EINVAL', `cannot ${action} Domain-0`);
    return row;
  }

  listDomains(): DomainInfo[] {
    return this.#read(() => (this.#list.all() as string[]).map(listedInfo));
  }

  domainsWithUuid(uuid: string): number[] {
    return this.#read(() => this.#withUuid.all(uuid) as number[]);
  }

  /** One sum over the domains (a host domain has no outstanding pages). */
  pagesHeld(): PagesHeld {
    const held = this.#read(() => this.#db.prepare('SELECT coalesce(sum((max_mem_kb + 3) / 4), 0) FROM domains').pluck().get() as number);
    return { held, outstanding: 0 };
  }

  getDomain(domid: number): DomainInfo | undefined {
    if (!Number.isInteger(domid) || domid < 0 || domid > 0xffff) return undefined;
    return this.#lookup(domid);
  }

  createDomain(options: CreateDomainOptions): DomainInfo {
    const { type, uuid, maxMemKb, vcpus } = checkCreateDomainOptions(options);
    const self = currentProcess();
    const row = this.#write(() => {
      const domid = allocateDomid(this.#rover.get() as number, (candidate) => this.#domidUsed.get(candidate) !== undefined);
      this.#setRover.run(domid);
      const created: DomainRow = {
        domid,
        type,
        uuid,
        max_mem_kb: maxMemKb,
        vcpus,
        paused: 1,
        shutdown: null,
        pending_start: 'boot',
        created_at: this.#now(),
        cpu_time_ns: 0,
      };
      this.#insertDomain.run(created);
      if (this.#hooks.trackOperations ?? true) this.#claim.run(domid, 'create', uuid, self.pid, self.start);
      return created;
    });
    this.#forget(row.domid);
    this.#hooks.step?.('hypervisor.createDomain');
    return toInfo(row);
  }

  destroyDomain(domid: number): void {
    const self = currentProcess();
    this.#write(() => {
      const row = this.#guest(domid, 'destroy');
      this.#present.delete(domid);
      this.#dropFile(domid);
      this.#deleteDomain.run(domid);
      this.#unclaim.run(domid);
      // What the toolstack still has to clean (xenstore, userdata) if this process dies first.
      if (this.#hooks.trackOperations ?? true) this.#claim.run(domid, 'destroy', row.uuid, self.pid, self.start);
    });
    this.#forget(domid);
    this.#hooks.step?.('hypervisor.destroyDomain');
    try {
      returnFreePages(this.#db);
    } catch (error) {
      // The domain is gone either way; a busy (or full) host file gives its pages back after a later destroy.
      if (sqliteCode(error) === undefined) throw error;
    }
  }

  pauseDomain(domid: number): void {
    const self = currentProcess();
    this.#update(domid, () => {
      const row = this.#guest(domid, 'pause');
      this.#setPaused.run(1, domid);
      // Who paused it: if that process dies before the unpause, the next one takes the pause back.
      if (this.#hooks.trackOperations ?? true) this.#claim.run(domid, 'pause', row.uuid, self.pid, self.start);
    });
    this.#hooks.step?.('hypervisor.pauseDomain');
  }

  unpauseDomain(domid: number): void {
    // The guest starts (its firmware boots, or it resumes) in the transaction that unpauses it: a
    // process killed in between leaves it paused, never running without what its start writes.
    this.#write(() => {
      const row = this.#guest(domid, 'unpause');
      if (row.paused === 0) throw new XcError('EINVAL', `domain ${domid} is not paused`);
      // A shut-down guest runs nothing until it is reset: its pending start waits.
      const pending = row.shutdown === null ? (row.pending_start as PendingStart) : null;
      if (pending === null) this.#setPaused.run(0, domid);
      else this.#unpause.run(domid);
      this.#unclaimPause.run(domid);
      this.#forget(domid);
      const model = this.#model();
      if (model === undefined || pending === null) return;
      // The time the guest's start takes is its CPU time, charged in the same transaction.
      runGuestWork(
        () => (pending === 'boot' ? model.boot(domid) : model.resume(domid)),
        (nanoseconds) => this.#chargeCpuTime.run(nanoseconds, domid),
      );
      this.#hooks.step?.('hypervisor.guestStarted');
    });
    this.#forget(domid);
    this.#hooks.step?.('hypervisor.unpauseDomain');
  }

  /** The guest's software runs: the time it takes is added to the domain's CPU time. */
  #runGuest(domid: number, work: () => void): void {
    runGuestWork(work, (nanoseconds) => this.#update(domid, () => this.#chargeCpuTime.run(nanoseconds, domid)));
  }

  shutdownDomain(domid: number, reason: ShutdownReason): void {
    this.#update(domid, () => {
      const row = this.#guest(domid, 'shut down');
      checkShutdownReason(reason);
      // Xen records the first reason only (domain_shutdown ignores a domain already shutting down).
      if (row.shutdown === null) this.#setShutdown.run(reason, domid);
    });
    this.#hooks.step?.('hypervisor.shutdownDomain');
  }

  setPendingStart(domid: number, start: PendingStart): void {
    this.#update(domid, () => {
      this.#guest(domid, 'set the pending start of');
      checkPendingStart(start);
      this.#setPending.run(start, domid);
    });
  }

  resetDomain(domid: number): void {
    this.#update(domid, () => {
      this.#guest(domid, 'reset');
      this.#clearParams.run(domid);
      this.#clearPages.run(domid);
      this.#dropFile(domid);
      this.#reset.run(domid);
    });
    this.#hooks.step?.('hypervisor.resetDomain');
  }

  /** Inside a write transaction: the domain's memory file is no longer its own (removed once committed). */
  #dropFile(domid: number): void {
    const name = this.#selectFile.get(domid) as string | undefined;
    if (name === undefined) return;
    this.#clearFile.run(domid);
    this.#dropped.push(name);
  }

  #update(domid: number, body: () => void): void {
    this.#forget(domid);
    this.#write(body);
    this.#forget(domid);
  }

  readParam(domid: number, index: number): bigint {
    checkParamIndex(index);
    this.#require(domid);
    let params = this.#params.get(domid);
    const cached = params?.get(index);
    if (cached !== undefined) return cached;
    const stored = this.#read(() => this.#selectParam.get(domid, index) as bigint | undefined);
    const value = stored === undefined ? 0n : BigInt.asUintN(64, stored);
    if (params === undefined) {
      params = new Map();
      this.#params.set(domid, params);
    }
    params.set(index, value);
    return value;
  }

  writeParam(domid: number, index: number, value: bigint): void {
    checkParamIndex(index);
    if (typeof value !== 'bigint' || value < 0n || value > UINT64_MAX) {
      throw new XcError('EINVAL', `value ${String(value)} is not a uint64 (a bigint in 0..2^64-1)`);
    }
    this.#params.delete(domid);
    this.#write(() => {
      this.#current(domid);
      this.#upsertParam.run(domid, index, BigInt.asIntN(64, value));
    });
    this.#params.delete(domid);
  }

  readPage(domid: number, pfn: number): Uint8Array | undefined {
    return this.readPages(domid, [pfn])[0];
  }

  readPages(domid: number, pfns: readonly number[], into?: Uint8Array): (Uint8Array | undefined)[] {
    pfns.forEach(checkPfn);
    this.#require(domid);
    checkPagesBuffer(pfns.length, into);
    if (pfns.length === 1 && into === undefined) return this.#read(() => [frameOfChunk(this.#chunk(domid, chunkOf(pfns[0]!)), slotOf(pfns[0]!))?.slice()]);
    // Many frames (a save's batch): each chunk read once, its frames handed out as views of `into`
    // or of the bytes read for this call alone (not cached, so a caller's change to one cannot reach
    // another), in one read transaction (one snapshot, and one WAL read lock rather than one per
    // chunk). A whole chunk in a memory file, asked for in order, is read straight into `into`.
    return this.#read(() => this.#snapshot(() => this.#readMany(domid, pfns, into)));
  }

  #readMany(domid: number, pfns: readonly number[], into: Uint8Array | undefined): (Uint8Array | undefined)[] {
    const frames: (Uint8Array | undefined)[] = new Array(pfns.length);
    const rowOf = this.#chunkRows(domid, pfns);
    let current = -1;
    let stored = NO_FRAMES;
    for (let index = 0; index < pfns.length; ) {
      const pfn = pfns[index]!;
      const chunk = chunkOf(pfn);
      if (chunk !== current) {
        current = chunk;
        const row = rowOf(chunk);
        if (into !== undefined && inFileWhole(row) && wholeChunkAt(pfns, index, chunk)) {
          // This chunk and the whole ones after it that lie next to it in the file, in one read.
          let chunks = 1;
          for (let next = rowOf(chunk + 1); inFileWhole(next) && next.at === row.at + chunks * CHUNK_BYTES && wholeChunkAt(pfns, index + chunks * PAGES_PER_CHUNK, chunk + chunks); next = rowOf(chunk + chunks)) chunks += 1;
          const target = into.subarray(index * XC_PAGE_SIZE, (index + chunks * PAGES_PER_CHUNK) * XC_PAGE_SIZE);
          this.#readFile(domid, row.at, target);
          for (let slot = 0; slot < chunks * PAGES_PER_CHUNK; slot += 1) frames[index + slot] = target.subarray(slot * XC_PAGE_SIZE, (slot + 1) * XC_PAGE_SIZE);
          index += chunks * PAGES_PER_CHUNK;
          current = -1;
          continue;
        }
        stored = this.#chunkOfRow(domid, row);
      }
      // The bytes were read for this call alone: its frames can be views of them.
      const frame = frameOfChunk(stored, slotOf(pfn));
      if (frame !== undefined && into !== undefined) {
        const target = into.subarray(index * XC_PAGE_SIZE, (index + 1) * XC_PAGE_SIZE);
        target.set(frame);
        frames[index] = target;
      } else {
        frames[index] = frame;
      }
      index += 1;
    }
    return frames;
  }

  /**
   * The stored row of each chunk `pfns` fall in, by chunk number: one query for the chunks between
   * the lowest and the highest when they are about as many as the chunks asked for (a save's batch),
   * else one query per chunk.
   */
  #chunkRows(domid: number, pfns: readonly number[]): (chunk: number) => ChunkRow | undefined {
    let low = Infinity;
    let high = -1;
    for (const pfn of pfns) {
      const chunk = chunkOf(pfn);
      if (chunk < low) low = chunk;
      if (chunk > high) high = chunk;
    }
    if (high - low > 2 * (pfns.length / PAGES_PER_CHUNK) + 2) return (chunk) => this.#selectChunk.get(domid, chunk) as ChunkRow | undefined;
    const rows = new Map<number, ChunkRow>();
    for (const row of this.#chunkRange.all(domid, low, high) as (ChunkRow & { chunk: number })[]) rows.set(row.chunk, row);
    return (chunk) => rows.get(chunk);
  }

  /** Runs `body` in a read transaction, or in the transaction under way. */
  #snapshot<T>(body: () => T): T {
    return this.#db.inTransaction ? body() : this.#db.transaction(body).deferred();
  }

  /** A chunk as stored now (no frames if never written), its bytes newly read. */
  #readChunk(domid: number, chunk: number): StoredChunk {
    return this.#chunkOfRow(domid, this.#selectChunk.get(domid, chunk) as ChunkRow | undefined);
  }

  #chunkOfRow(domid: number, row: ChunkRow | undefined): StoredChunk {
    if (row === undefined) return NO_FRAMES;
    if (row.at !== null) {
      const data = new Uint8Array(chunkBytes(row.present));
      this.#readFile(domid, row.at, data);
      return { present: row.present, data };
    }
    // A plain Uint8Array view: a Buffer's slice() would not copy.
    return { present: row.present, data: new Uint8Array(row.data.buffer, row.data.byteOffset, row.data.byteLength) };
  }

  /** Fills `target` from `at` of domain `domid`'s memory file. */
  #readFile(domid: number, at: number, target: Uint8Array): void {
    const fd = this.#filling.get(domid)?.fd ?? this.#reader(domid);
    for (let done = 0; done < target.length; ) {
      const read = readSync(fd, target, done, target.length - done, at + done);
      if (read === 0) throw new HostError('CORRUPT', `host file ${this.#file}: the memory file of domain ${domid} is shorter than its chunks say`);
      done += read;
    }
  }

  /** The memory file domain `domid`'s rows name, open for reading. */
  #reader(domid: number): number {
    const name = this.#selectFile.get(domid) as string | undefined;
    const open = name === undefined ? undefined : this.#readers.get(name);
    if (open !== undefined) return open;
    const path = name === undefined ? undefined : join(this.#memoryDir!, name);
    let fd: number;
    try {
      if (path === undefined) throw new Error('no memory file is named for it');
      fd = openSync(path, 'r');
    } catch (error) {
      throw new HostError('CORRUPT', `host file ${this.#file}: the memory file of domain ${domid} (${path ?? 'unnamed'}) cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
    }
    if (this.#readers.size >= OPEN_MEMORY_FILES) {
      const [oldest, oldestFd] = this.#readers.entries().next().value!;
      this.#readers.delete(oldest);
      closeSync(oldestFd);
    }
    this.#readers.set(name!, fd);
    return fd;
  }

  /** Closes the memory files open for reading (the host does at close). */
  closeMemoryFiles(): void {
    for (const fd of this.#readers.values()) closeSync(fd);
    this.#readers.clear();
  }

  /** A chunk as stored (no frames if never written), through the one-chunk cache. */
  #chunk(domid: number, chunk: number): StoredChunk {
    const key = chunkKey(domid, chunk);
    let stored = this.#cache.validate() ? this.#chunks.get(key) : undefined;
    if (stored === undefined) {
      stored = this.#readChunk(domid, chunk);
      this.#chunks.clear();
      this.#chunks.set(key, stored);
    }
    return stored;
  }

  writePage(domid: number, pfn: number, data: Uint8Array): void {
    checkPfn(pfn);
    if (!(data instanceof Uint8Array) || data.length !== XC_PAGE_SIZE) {
      throw new XcError('EINVAL', `a page write takes exactly ${XC_PAGE_SIZE} bytes`);
    }
    if (this.#depth === 0) this.#write(() => this.#gather(domid, pfn, data));
    else this.#gather(domid, pfn, data);
  }

  /** Inside a write transaction: keeps a page write with the others of its chunk (the domain checked at the chunk's first). */
  #gather(domid: number, pfn: number, data: Uint8Array): void {
    const chunk = chunkOf(pfn);
    const key = chunkKey(domid, chunk);
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      if (!this.#present.has(domid)) this.#current(domid);
      this.#present.add(domid);
      if (this.#pending.size >= PENDING_CHUNKS_KEPT) this.#storePending();
      // A spare buffer holds an earlier chunk's bytes: only the slots written here are stored.
      pending = { domid, chunk, written: 0, frames: this.#spareFrames.pop() ?? new Uint8Array(PAGES_PER_CHUNK * XC_PAGE_SIZE) };
      this.#pending.set(key, pending);
    }
    const slot = slotOf(pfn);
    pending.frames.set(data, slot * XC_PAGE_SIZE);
    pending.written |= 1 << slot;
  }

  /** Writes many pages in one transaction (a restore, a foreign mapping's unmap): all or none. */
  writePages(domid: number, pages: Iterable<readonly [pfn: number, data: Uint8Array]>): void {
    this.batch(() => {
      for (const [pfn, data] of pages) this.writePage(domid, pfn, data);
    });
  }

  touchedPages(domid: number): number[] {
    this.#require(domid);
    const rows = this.#read(() => this.#touched.all(domid) as { chunk: number; present: number }[]);
    return rows.flatMap(({ chunk, present }) => framesOfChunk(chunk, present));
  }

  getGuestRecord(domid: number): string | undefined {
    this.#require(domid);
    const record = this.#read(() => this.#selectRecord.get(domid) as string | null | undefined);
    return record ?? undefined;
  }

  setGuestRecord(domid: number, json: string): void {
    this.#update(domid, () => {
      this.#current(domid);
      if (typeof json !== 'string') throw new XcError('EINVAL', 'a guest record is JSON text');
      try {
        JSON.parse(json);
      } catch (error) {
        throw new XcError('EINVAL', `guest record of domain ${domid} is not JSON text`, { cause: error });
      }
      this.#setRecord.run(json, domid);
    });
  }

  appendConsole(domid: number, data: Uint8Array): void {
    this.#update(domid, () => {
      this.#current(domid);
      const log = appendConsoleLog(this.#consoleLog(domid), data);
      this.#upsertConsole.run(domid, log.start, log.data);
    });
  }

  readConsole(domid: number, offset: number): ConsoleOutput {
    this.#require(domid);
    return readConsoleLog(this.#read(() => this.#consoleLog(domid)), offset);
  }

  #consoleLog(domid: number): ConsoleOutput {
    const row = this.#selectConsole.get(domid) as { start: number; data: Uint8Array } | undefined;
    return row === undefined ? { start: 0, data: new Uint8Array(0) } : { start: row.start, data: new Uint8Array(row.data) };
  }

  readXenConsole(offset: number, clear: boolean): ConsoleOutput {
    const ring = (): ConsoleOutput => {
      const row = this.#selectXenConsole.get() as { start: number; data: Uint8Array } | undefined;
      return row === undefined ? { start: 0, data: new Uint8Array(0) } : { start: row.start, data: new Uint8Array(row.data) };
    };
    if (!clear) return readConsoleLog(this.#read(ring), offset);
    return this.#write(() => {
      const log = ring();
      const read = readConsoleLog(log, offset);
      const cleared = clearConsoleLog(log);
      this.#setXenConsole.run(cleared.start, cleared.data);
      return read;
    });
  }

  getSchedCredit2(domid: number): SchedCredit2 {
    this.#require(domid);
    const row = this.#read(() => this.#selectSched.get(domid) as SchedCredit2 | undefined);
    if (!row) throw noDomain(domid);
    return Object.freeze({ weight: row.weight, cap: row.cap });
  }

  setSchedCredit2(domid: number, params: SchedCredit2): void {
    this.#update(domid, () => {
      const { vcpus } = this.#current(domid);
      const current = this.#selectSched.get(domid) as SchedCredit2;
      const next = applySchedCredit2(current, params, vcpus);
      this.#setSched.run(next.weight, next.cap, domid);
    });
  }

  /** The guest model the host was opened with, made on first use. */
  #model(): GuestModel | undefined {
    this.#bound ??= { model: this.#hooks.guestModel?.() };
    return this.#bound.model;
  }

  sendTrigger(domid: number, trigger: DomainTrigger, vcpu: number): void {
    const state = this.#require(domid);
    checkTrigger(state, trigger, vcpu);
    const model = this.#model();
    if (model?.trigger && !state.paused && state.shutdown === null) this.#runGuest(domid, () => model.trigger?.(domid, trigger, vcpu));
  }

  raiseGpe(domid: number, gpe: number): void {
    const state = this.#require(domid);
    checkGpe(gpe);
    if (state.type === 'pv') throw new XcError('EINVAL', `domain ${domid} is PV and has no ACPI`);
    if (state.paused || state.shutdown !== null) throw new XcError('EINVAL', `domain ${domid} is not running`);
    const model = this.#model();
    if (model) this.#runGuest(domid, () => model.gpe(domid, gpe));
  }

  /**
   * Runs `body` as one write transaction: every hypervisor call inside commits together or not at
   * all. The guest model called by an unpause inside runs inside it too.
   */
  batch<T>(body: () => T): T {
    return this.#write(body);
  }
}
