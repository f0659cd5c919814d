/**
 * The host: one file holding the whole simulated machine (hypervisor, xenstore, libxl userdata),
 * opened by every `xl` process that acts on it, as every toolstack process on a real Xen host
 * reaches the same hypervisor and xenstored.
 */
import { appendFileSync } from 'node:fs';
import { domainPath, type GuestModel, type Hypervisor } from '@xen-genid/xc-params';
import { createXenStore, formatTraceEntry, type XenStore, type XenStoreOptions, type XsTraceSink } from '@xen-genid/xenstore';
import { crashPoints, HOST_CRASH_AT_ENV, type CrashPoint } from './crash-points.ts';
import { inTransaction, integrityCheck, openDatabase, preparedOnUse, type SqliteDatabase } from './database.ts';
import { HostError, isDamaged, translateSqliteError } from './errors.ts';
import { domainTable, vmTable, type DomainTableLayout } from './domain-table.ts';
import { markClosed, markOpen, type OpenMark } from './open-marks.ts';
import { defaultHostPath } from './host-path.ts';
import { currentProcess, isAlive } from './process-identity.ts';
import { ReadCache, type CacheFreshness } from './read-cache.ts';
import { SqliteHypervisor } from './sqlite-hypervisor.ts';
import type { UserdataStore } from '@xen-genid/xl-lib/userdata';
import { SqliteUserdataStore } from './sqlite-userdata.ts';
import { SqliteXenStoreBackend } from './sqlite-xenstore-backend.ts';

export interface OpenHostOptions {
  /** Milliseconds a call waits for another process's write lock (default 30 s), then `HostError` `BUSY`. */
  readonly busyTimeoutMs?: number;
  /** The in-process read cache validated by `PRAGMA data_version` (default on). */
  readonly cache?: boolean;
  /**
   * `turn` (default): a read sees every commit of this process and every commit other processes made
   * before the current synchronous run of JavaScript began (the cache is checked once per run).
   * `read`: the cache is checked before every read, so a read also sees another process's commit made
   * during the same run (for a caller that waits for other processes synchronously).
   */
  readonly freshness?: CacheFreshness;
  /** Clean up operations left half done by processes that died (default on). */
  readonly recover?: boolean;
  /** Options of the xenstore logic (quotas). */
  readonly xenstore?: XenStoreOptions;
  /**
   * Record which domains this process is creating or destroying, so that another process can clean
   * up if it dies half-way (default true). Off for processes that are not a toolstack (`xenstored`):
   * their clients' xenstore removals then never count as a destroy.
   */
  readonly trackOperations?: boolean;
  /**
   * A file to which every xenstore request of this process that changes something is appended, as
   * xenstored's `-T` trace writes it (see `formatTraceEntry`); default `$XEN_GENID_XENSTORE_TRACE`,
   * none when unset.
   */
  readonly xenstoreTrace?: string;
  /** Test hook: `<step>[#<n>]` (see `crash-points.ts`); default `$XEN_GENID_HOST_CRASH_AT`. */
  readonly crashAt?: string;
  /** The clock for domains' `createdAt`; default `Date.now`. */
  readonly now?: () => number;
  /**
   * Chunks of 64 KiB of guest memory one write transaction gathers (a restore's, a migration's) from
   * which a domain without a memory file gets one, `<host file>.memory/<name>`, and its memory loaded
   * in that transaction goes there rather than into the host file (default 16, 1 MiB; at least 1);
   * default `$XEN_GENID_HOST_MEMORY_FILE_CHUNKS` when set.
   */
  readonly memoryFileChunks?: number;
  /**
   * The software the host's domains run (at unpause, `raiseGpe`, `sendTrigger`), made once for the
   * opened host from its parts (e.g. xl-lib's `libxlGuestModel`); none runs without it.
   */
  readonly guestModel?: (machine: { readonly hypervisor: Hypervisor; readonly xenstore: XenStore; readonly userdata: UserdataStore }) => GuestModel;
}

/** What a crashed process left behind, as `recover()` found and cleaned it. */
export interface RecoveryReport {
  /** Domains whose create or destroy died half-way, now removed everywhere. */
  readonly removedDomains: number[];
  /** Domains a dead process had paused (or not yet unpaused), now running again. */
  readonly resumedDomains: number[];
}

export interface Host extends Disposable {
  /** The host file. */
  readonly path: string;
  readonly hypervisor: SqliteHypervisor;
  /** The xenstore of this host (Xen's logic over the file); `poll()` fires other processes' changes. */
  readonly store: XenStore;
  /** The storage under `store`. */
  readonly xenstoreBackend: SqliteXenStoreBackend;
  /** libxl's per-domain userdata. */
  readonly userdata: UserdataStore;
  /**
   * Polls for changes made by other processes every `intervalMs` (default 50) and fires this process's
   * watches; returns a function that stops it. The timer does not keep the process alive.
   */
  watchOtherProcesses(intervalMs?: number): () => void;
  /** Removes what processes that died mid-operation left behind (also done by `openHost`). */
  recover(): RecoveryReport;
  /**
   * Runs `body` as one write transaction of the host file: every change it makes to the hypervisor,
   * xenstore and userdata commits together, or none does (a throw, or the process dying). What it
   * reads is what is stored once it holds the write lock, whatever the cache's freshness. Keep it
   * short: other processes wait for it.
   */
  atomically<T>(body: () => T): T;
  /**
   * `xl list`'s lines for every domain, by domid, each ending in `layout.suffix` and a newline: made
   * by SQLite in one query, from the committed state of one moment, as UTF-8 bytes.
   */
  domainTable(layout: DomainTableLayout): Uint8Array;
  /** `xl vm-list`'s lines for every domain (uuid, domid, name), as `domainTable`'s. */
  vmTable(): Uint8Array;
  /** `PRAGMA integrity_check`: `['ok']` when the file is sound. */
  integrityCheck(): string[];
  /**
   * Test hook: a step of the caller's own (one of `CRASH_POINTS`) reached; counts with the host's
   * steps towards the `crashAt` option.
   */
  crashPoint(step: CrashPoint): void;
  /** Closes the file (idempotent). Operations this process finished are no longer its own. */
  close(): void;
}

/** The environment variable read by `openHost` when no `memoryFileChunks` option is given. */
export const MEMORY_FILE_CHUNKS_ENV = 'XEN_GENID_HOST_MEMORY_FILE_CHUNKS';

function memoryFileChunks(option: number | undefined): number | undefined {
  const value = option ?? (process.env[MEMORY_FILE_CHUNKS_ENV] ? Number(process.env[MEMORY_FILE_CHUNKS_ENV]) : undefined);
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
    throw new HostError('INVALID_ARGUMENT', `memoryFileChunks (or $${MEMORY_FILE_CHUNKS_ENV}) must be a whole number of chunks, at least 1: ${String(value)}`);
  }
  return value;
}

/** The environment variable read by `openHost` when no `xenstoreTrace` option is given. */
export const XENSTORE_TRACE_ENV = 'XEN_GENID_XENSTORE_TRACE';

/**
 * A sink appending each entry to `path`, its connections named `<pid>.<n>` so processes sharing the
 * file differ; a connection's first entry follows a `CREATE connection <name>` line, as xenstored's.
 */
function traceFile(path: string | undefined): XsTraceSink | undefined {
  if (path === undefined || path === '') return undefined;
  const seen = new Set<number>();
  return (entry) => {
    const name = `${process.pid}.${entry.connection}`;
    const created = seen.has(entry.connection) ? '' : `CREATE connection ${name}\n`;
    seen.add(entry.connection);
    appendFileSync(path, created + formatTraceEntry(entry, name));
  };
}

interface ClaimRow {
  domid: number;
  kind: 'create' | 'destroy' | 'pause';
  uuid: string;
  pid: number;
  pid_start: string;
}

/**
 * Opens the host at `path` (default: `defaultHostPath()`), creating it if needed. Throws
 * `HostError` (`CORRUPT`, `NOT_A_HOST_FILE`, `SCHEMA_TOO_NEW`, `CANNOT_OPEN`, `BUSY`).
 */
export function openHost(path: string = defaultHostPath(), options: OpenHostOptions = {}): Host {
  const db = openDatabase(path, { busyTimeoutMs: options.busyTimeoutMs });
  try {
    return new SqliteHost(db, path, options);
  } catch (error) {
    db.close();
    throw translateSqliteError(error, path);
  }
}

class SqliteHost implements Host {
  readonly path: string;
  readonly hypervisor: SqliteHypervisor;
  readonly store: XenStore;
  readonly xenstoreBackend: SqliteXenStoreBackend;
  readonly userdata: SqliteUserdataStore;
  readonly #db: SqliteDatabase;
  readonly #cache: ReadCache;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #step: ((step: string) => void) | undefined;
  /** This connection's clean-close mark (`open-marks.ts`). */
  readonly #openMark: OpenMark;
  #closed = false;

  constructor(db: SqliteDatabase, path: string, options: OpenHostOptions) {
    this.#db = db;
    this.path = path;
    this.#openMark = markOpen(db, path);
    const step = crashPoints(options.crashAt ?? process.env[HOST_CRASH_AT_ENV]);
    this.#step = step;
    const cache = new ReadCache(db, path, options.cache ?? true, options.freshness ?? 'turn');
    this.#cache = cache;
    const releaseCreate = preparedOnUse(() => db.prepare("DELETE FROM claims WHERE domid = ? AND kind = 'create'"));
    // A domain introduced paused (created, restored or received, not yet unpaused) is this
    // process's to unpause: if it dies first, the next process finishes or rolls that back.
    const claimPause = preparedOnUse(() =>
      db.prepare(
        "INSERT OR REPLACE INTO claims (domid, kind, uuid, pid, pid_start) SELECT domid, 'pause', uuid, ?, ? FROM domains WHERE domid = ? AND paused = 1",
      ),
    );
    const claimDestroy = preparedOnUse(() =>
      db.prepare(
        "INSERT OR REPLACE INTO claims (domid, kind, uuid, pid, pid_start) SELECT domid, 'destroy', uuid, ?, ? FROM domains WHERE domid = ?",
      ),
    );
    const beginDestroy = (domid: number): void => {
      const self = currentProcess();
      claimDestroy().run(self.pid, self.start, domid);
    };
    const track = options.trackOperations ?? true;
    const { guestModel } = options;
    const fileChunks = memoryFileChunks(options.memoryFileChunks);
    this.hypervisor = new SqliteHypervisor(db, path, cache, {
      step,
      now: options.now,
      trackOperations: track,
      ...(fileChunks === undefined ? {} : { memoryFileChunks: fileChunks }),
      ...(guestModel ? { guestModel: () => guestModel({ hypervisor: this.hypervisor, xenstore: this.store, userdata: this.userdata }) } : {}),
    });
    this.xenstoreBackend = new SqliteXenStoreBackend(
      db,
      path,
      cache,
      track
        ? {
            step,
            // libxl__build_post introduces the domain to xenstored last: the domain is complete.
            onDomainIntroduced: (domid) => {
              releaseCreate().run(domid);
              const self = currentProcess();
              claimPause().run(self.pid, self.start, domid);
            },
            // libxl's destroy starts by removing the domain's xenstore entries (or its userdata). A
            // claim names exactly that domain: a removed `/vm/<uuid>` names none (a restore or a
            // migration on this host runs the same VM as two domains, and a create rewrites it).
            onDomainEntriesRemoved: beginDestroy,
          }
        : { step },
    );
    this.userdata = new SqliteUserdataStore(db, path, track ? { step, onConfigRemoved: beginDestroy } : { step });
    const trace = traceFile(options.xenstoreTrace ?? process.env[XENSTORE_TRACE_ENV]);
    this.store = createXenStore(this.xenstoreBackend, trace ? { ...options.xenstore, trace } : options.xenstore);
    if (options.recover ?? true) this.recover();
  }

  #checkOpen(): void {
    if (this.#closed) throw new HostError('CLOSED', `host ${this.path} is closed`);
  }

  watchOtherProcesses(intervalMs = 50): () => void {
    this.#checkOpen();
    const timer = setInterval(() => {
      if (this.#closed) return;
      try {
        this.store.poll();
      } catch (error) {
        // A lock or I/O hiccup: the changes are still in the log, the next poll gets them.
        if (!HostError.is(error)) throw error;
      }
    }, intervalMs);
    timer.unref();
    this.#timers.add(timer);
    return () => {
      clearInterval(timer);
      this.#timers.delete(timer);
    };
  }

  atomically<T>(body: () => T): T {
    this.#checkOpen();
    const outermost = !this.#db.inTransaction;
    try {
      return inTransaction(this.#db, 'immediate', () => {
        // What the cache checked earlier in this run may predate another process's commit made
        // before the write lock was taken: the body never acts on what was (a block script's free
        // loop device, say).
        if (outermost) this.#cache.revalidate();
        return body();
      });
    } catch (error) {
      // Rolled back: what this process cached of its own writes is gone with them.
      this.#cache.clear();
      throw translateSqliteError(error, this.path, this.#db);
    }
  }

  domainTable(layout: DomainTableLayout): Uint8Array {
    return this.#table(() => domainTable(this.#db, layout));
  }

  vmTable(): Uint8Array {
    return this.#table(() => vmTable(this.#db));
  }

  #table(make: () => Uint8Array): Uint8Array {
    this.#checkOpen();
    try {
      return make();
    } catch (error) {
      throw translateSqliteError(error, this.path, this.#db);
    }
  }

  recover(): RecoveryReport {
    this.#checkOpen();
    const claims = this.#db.prepare('SELECT domid, kind, uuid, pid, pid_start FROM claims').all() as ClaimRow[];
    // Creates and destroys first: a domain they remove has no pause left to take back.
    const dead = claims
      .filter((claim) => !isAlive({ pid: claim.pid, start: claim.pid_start }))
      .sort((left, right) => Number(left.kind === 'pause') - Number(right.kind === 'pause'));
    const removedDomains: number[] = [];
    const resumedDomains: number[] = [];
    for (const claim of dead) {
      try {
        inTransaction(this.#db, 'immediate', () => {
            // Still there, still the same claim (another process may have recovered it meanwhile)?
            const still = this.#db
              .prepare('SELECT 1 FROM claims WHERE domid = ? AND kind = ? AND pid = ? AND pid_start = ?')
              .pluck()
              .get(claim.domid, claim.kind, claim.pid, claim.pid_start);
            if (still === undefined) return;
            const outcome = claim.kind === 'pause' ? this.#takeBackPause(claim.domid, claim.uuid) : 'removed';
            if (outcome === 'removed') this.#teardown(claim.domid, claim.uuid);
            this.#db.prepare(claim.kind === 'pause' && outcome !== 'removed' ? "DELETE FROM claims WHERE domid = ? AND kind = 'pause'" : 'DELETE FROM claims WHERE domid = ?').run(claim.domid);
            if (outcome === 'removed') removedDomains.push(claim.domid);
            if (outcome === 'resumed') resumedDomains.push(claim.domid);
          });
      } catch (error) {
        throw translateSqliteError(error, this.path, this.#db);
      }
    }
    if (removedDomains.length > 0 || resumedDomains.length > 0) {
      this.#cache.clear();
      this.#cache.committed();
    }
    this.hypervisor.removeStrayMemoryFiles();
    return { removedDomains, resumedDomains };
  }

  /**
   * A domain paused by a process that died (a save, a checkpoint, a migration, a create or restore
   * not yet unpaused), in the caller's transaction. A migration's sender copy
   * (`<name>--migratedaway`) goes when another domain of its VM already has `<name>` here; a
   * receiver's `<name>--incoming` goes while the sender's copy is here. Otherwise either takes
   * `<name>` back and stays paused: the other end (on another host) may run the guest, so only the
   * user can tell whether to `xl unpause` or `xl destroy` it. A create that never started is
   * removed; any other domain runs on.
   */
  #takeBackPause(domid: number, uuid: string): 'removed' | 'resumed' | 'renamed' | 'none' {
    const row = this.#db.prepare('SELECT uuid, paused, pending_start FROM domains WHERE domid = ?').get(domid) as
      | { uuid: string; paused: number; pending_start: string | null }
      | undefined;
    if (row === undefined || row.uuid !== uuid || row.paused === 0) return 'none';
    const connection = this.store.connect(0);
    try {
      const nameOf = (id: number): string | undefined => {
        const value = connection.tryRead(`${domainPath(id)}/name`);
        return value === undefined ? undefined : new TextDecoder().decode(value);
      };
      const name = nameOf(domid) ?? '';
      const others = (this.#db.prepare('SELECT domid FROM domains WHERE uuid = ? AND domid != ?').pluck().all(uuid, domid) as number[]).map(nameOf);
      const temporary = /^(.*)--(migratedaway|incoming)$/.exec(name);
      if (temporary) {
        const [, base, suffix] = temporary as unknown as [string, string, string];
        const superseded = suffix === 'migratedaway' ? others.includes(base) : others.length > 0;
        if (superseded) return 'removed';
        connection.write(`${domainPath(domid)}/name`, base);
        if (connection.exists(`/vm/${uuid}`)) connection.write(`/vm/${uuid}/name`, base);
        const stored = this.userdata.retrieve(domid, 'libxl-json');
        if (stored !== undefined) {
          const text = new TextDecoder().decode(stored).replace(`"name": ${JSON.stringify(name)}`, `"name": ${JSON.stringify(base)}`);
          this.userdata.store(domid, 'libxl-json', new TextEncoder().encode(text));
        }
        return 'renamed';
      } else if (row.pending_start === 'boot') {
        return 'removed';
      }
    } finally {
      connection.close();
    }
    this.hypervisor.unpauseDomain(domid);
    return 'resumed';
  }

  /** Everything of domain `domid` (hypervisor, xenstore paths libxl creates, userdata), in the caller's transaction. */
  #teardown(domid: number, uuid: string): void {
    const current = this.#db.prepare('SELECT uuid FROM domains WHERE domid = ?').pluck().get(domid) as string | undefined;
    // The domid went to a new domain since (the rover wrapped): that one is not ours to touch.
    if (current !== undefined && current !== uuid) return;
    this.#db.prepare('DELETE FROM domains WHERE domid = ?').run(domid);
    this.#db.prepare('DELETE FROM userdata WHERE domid = ?').run(domid);
    // A restore or migration may already run the same VM (same uuid) as another domain.
    const uuidInUse = this.#db.prepare('SELECT 1 FROM domains WHERE uuid = ?').pluck().get(uuid) !== undefined;
    const paths = [domainPath(domid), `/libxl/${domid}`];
    if (!uuidInUse) paths.push(`/vm/${uuid}`);
    const connection = this.store.connect(0);
    try {
      for (const path of paths) {
        if (connection.exists(path)) connection.rm(path);
      }
    } finally {
      connection.close();
    }
  }

  crashPoint(step: CrashPoint): void {
    this.#step?.(step);
  }

  integrityCheck(): string[] {
    this.#checkOpen();
    return integrityCheck(this.#db);
  }

  close(): void {
    if (this.#closed) return;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers.clear();
    try {
      // A file found damaged is not written to again: the mark stays, and the next open checks it.
      if (!isDamaged(this.#db)) {
        this.#releaseOwnClaims();
        if (this.hypervisor.madeMemoryFiles) this.hypervisor.removeStrayMemoryFiles();
      }
    } finally {
      this.#closed = true;
      this.store.close();
      this.hypervisor.closeMemoryFiles();
      this.#db.close();
    }
  }

  /**
   * At a clean close: the claims of this process, then this connection's open mark. The last
   * connection out also empties xenstore's change log (no connection is left to read it) and hands
   * the free pages back, so that the file at rest holds what the host holds.
   */
  #releaseOwnClaims(): void {
    const self = currentProcess();
    // Creates this process started are as complete as they will get. A destroy it started whose
    // hypervisor domain is gone is finished here; one whose domain still runs was not a destroy.
    const own = this.#db
      .prepare("SELECT domid, kind, uuid, pid, pid_start FROM claims WHERE pid = ? AND pid_start = ?")
      .all(self.pid, self.start) as ClaimRow[];
    for (const claim of own) {
      inTransaction(this.#db, 'immediate', () => {
        const gone = this.#db.prepare('SELECT 1 FROM domains WHERE domid = ?').pluck().get(claim.domid) === undefined;
        if (claim.kind === 'destroy' && gone) this.#teardown(claim.domid, claim.uuid);
        this.#db.prepare('DELETE FROM claims WHERE domid = ? AND pid = ? AND pid_start = ?').run(claim.domid, self.pid, self.start);
      });
    }
    inTransaction(this.#db, 'immediate', () => {
      if (!markClosed(this.#db, this.#openMark)) return;
      // Only what there is to do: a connection that wrote nothing leaves the file as it found it.
      this.xenstoreBackend.clearChangeLog();
      if ((this.#db.pragma('freelist_count', { simple: true }) as number) > 0) this.#db.pragma('incremental_vacuum');
    });
  }

  [Symbol.dispose](): void {
    this.close();
  }
}
