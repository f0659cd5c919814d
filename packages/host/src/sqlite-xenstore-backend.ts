/**
 * The xenstore tree on the host file: a `XenStoreBackend` for `@xen-genid/xenstore`'s logic, the
 * way xenstored keeps its nodes in a TDB (`tools/xenstore/xenstored_core.c` read_node/write_node,
 * generation counts of `xenstored_transaction.c`), shared by every process that opens the host.
 *
 * A commit is one short `BEGIN IMMEDIATE` transaction: check the generations the caller read,
 * write the nodes with fresh generations from a counter kept in the file, append the changes to a
 * change log. Other processes learn about changes by `readChanges`, which costs one
 * `PRAGMA data_version` when nothing was committed elsewhere.
 */
import { ChildList, parsePermission, formatPermission, XS_NO_GENERATION } from '@xen-genid/xenstore';
import type {
  ChildNameSource,
  XenStoreBackend,
  XsChange,
  XsChangeBatch,
  XsCommit,
  XsNode,
  XsPermission,
} from '@xen-genid/xenstore';
import type { DomainNameIndex } from '@xen-genid/xl-lib';
import { inTransaction, preparedOnUse, type SqliteDatabase } from './database.ts';
import { translateSqliteError } from './errors.ts';
import type { ReadCache } from './read-cache.ts';

interface NodeRow {
  value: Buffer;
  perms: string;
  child_count: number;
  generation: number;
}

interface ChangeRow {
  seq: number;
  origin: string;
  path: string;
  exact: number;
  readers: string;
}

/** How long a change stays in the log for slow pollers (another process's watches). */
const CHANGE_LOG_KEEP_MS = 10 * 60 * 1000;
/** At most this many changes are kept, whatever their age. */
const CHANGE_LOG_KEEP_ROWS = 100_000;
/** Trim the log each time its sequence number passes a multiple of this (whichever process writes). */
const TRIM_EVERY = 512;
/** Cached nodes before the cache starts over (keeps a 10,000-domain tree bounded). */
const CACHE_LIMIT = 200_000;

const EMPTY_CHILDREN: readonly string[] = Object.freeze([]);

function encodePerms(perms: readonly XsPermission[]): string {
  return perms.map(formatPermission).join(',');
}

function decodePerms(text: string): readonly XsPermission[] {
  return Object.freeze(text.split(',').map((entry) => Object.freeze(parsePermission(entry))));
}

/**
 * How `next` differs from `previous` when it is `previous` with some names removed and others
 * appended (creation order kept): the removed and appended names; undefined for any other change.
 * The common cases (one child added, one removed) cost only reference comparisons.
 */
function childrenDelta(
  previous: readonly string[],
  next: readonly string[],
): { removed: string[]; appended: readonly string[] } | undefined {
  const removed: string[] = [];
  let position = 0;
  for (const name of previous) {
    if (position < next.length && next[position] === name) position += 1;
    else removed.push(name);
  }
  const appended = next.slice(position);
  if (removed.length > 0 && appended.length > 0) {
    // A name removed and appended again moved to the end: fine. Any other overlap is a reorder.
    const gone = new Set(removed);
    const kept = new Set(previous.filter((name) => !gone.has(name)));
    if (appended.some((name) => kept.has(name))) return undefined;
  }
  return { removed, appended };
}

function freezeNode(value: Uint8Array, perms: readonly XsPermission[], children: ChildList, generation: number): XsNode {
  return Object.freeze({ value, perms, children, generation });
}

export interface SqliteXenStoreBackendOptions {
  /** Called at named steps; the reliability tests make a process die there. */
  readonly step?: (name: string) => void;
  /** Inside the write transaction that introduces `domid` (XS_INTRODUCE, the end of libxl__build_post). */
  readonly onDomainIntroduced?: (domid: number) => void;
  /**
   * Inside the write transaction that removes `/local/domain/<domid>` or `/libxl/<domid>` (a destroy
   * has begun).
   */
  readonly onDomainEntriesRemoved?: (domid: number) => void;
  /** @internal How long the change log keeps changes (tests use small numbers). */
  readonly changeLog?: { readonly keepMs?: number; readonly keepRows?: number; readonly trimEvery?: number };
}

const DOMAIN_NAME_PATH = /^\/local\/domain\/([0-9]{1,5})\/name$/;
/** The rows of the partial index `xs_nodes_domain_name` (the same text as in the schema, so SQLite uses it). */
const DOMAIN_NAME_ROWS = "path GLOB '/local/domain/*/name'";

const DOMAIN_ENTRIES = /^\/(?:local\/domain|libxl)\/([1-9][0-9]{0,4})$/;

/** `XenStoreBackend` on the host file. */
export class SqliteXenStoreBackend implements XenStoreBackend, DomainNameIndex {
  readonly #db: SqliteDatabase;
  readonly #file: string;
  readonly #cache: ReadCache;
  readonly #nodes: Map<string, XsNode | null>;
  readonly #step: ((name: string) => void) | undefined;
  readonly #options: SqliteXenStoreBackendOptions;
  #pollEpoch = -1;
  #ownCommitSincePoll = true;

  readonly #select;
  readonly #children;
  readonly #hasChild;
  readonly #lastChildSeq;
  readonly #insertChild;
  readonly #deleteChild;
  readonly #deleteChildren;
  readonly #generationOf;
  readonly #upsert;
  readonly #delete;
  readonly #counter;
  readonly #setCounter;
  readonly #owned;
  readonly #isIntroduced;
  readonly #introduce;
  readonly #release;
  readonly #appendChange;
  readonly #lastSeq;
  readonly #changesAfter;
  readonly #trimAge;
  readonly #trimCount;
  readonly #clearChanges;
  readonly #anyChange;
  readonly #domainsNamed;
  readonly #domainNames;

  constructor(db: SqliteDatabase, file: string, cache: ReadCache, options: SqliteXenStoreBackendOptions = {}) {
    this.#db = db;
    this.#file = file;
    this.#cache = cache;
    this.#nodes = cache.region();
    this.#step = options.step;
    this.#options = options;
    this.#select = preparedOnUse(() => db.prepare('SELECT value, perms, child_count, generation FROM xs_nodes WHERE path = ?'));
    this.#children = preparedOnUse(() => db.prepare('SELECT name FROM xs_children WHERE parent = ? ORDER BY seq').pluck());
    this.#hasChild = preparedOnUse(() => db.prepare('SELECT 1 FROM xs_children WHERE parent = ? AND name = ?').pluck());
    this.#lastChildSeq = preparedOnUse(() => db.prepare('SELECT coalesce(max(seq), 0) FROM xs_children WHERE parent = ?').pluck());
    this.#insertChild = preparedOnUse(() => db.prepare('INSERT INTO xs_children (parent, seq, name) VALUES (?, ?, ?)'));
    this.#deleteChild = preparedOnUse(() => db.prepare('DELETE FROM xs_children WHERE parent = ? AND name = ?'));
    this.#deleteChildren = preparedOnUse(() => db.prepare('DELETE FROM xs_children WHERE parent = ?'));
    this.#generationOf = preparedOnUse(() => db.prepare('SELECT generation FROM xs_nodes WHERE path = ?').pluck());
    this.#upsert = preparedOnUse(() =>
      db.prepare(
        `INSERT INTO xs_nodes (path, value, perms, child_count, owner, generation) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (path) DO UPDATE SET value = excluded.value, perms = excluded.perms,
           child_count = excluded.child_count, owner = excluded.owner, generation = excluded.generation`,
      ),
    );
    this.#delete = preparedOnUse(() => db.prepare('DELETE FROM xs_nodes WHERE path = ?'));
    this.#counter = preparedOnUse(() => db.prepare("SELECT value FROM xs_state WHERE key = 'generation'").pluck());
    this.#setCounter = preparedOnUse(() => db.prepare("UPDATE xs_state SET value = ? WHERE key = 'generation'"));
    this.#owned = preparedOnUse(() => db.prepare('SELECT count(*) FROM xs_nodes WHERE owner = ?').pluck());
    this.#isIntroduced = preparedOnUse(() => db.prepare('SELECT 1 FROM xs_introduced WHERE domid = ?').pluck());
    this.#introduce = preparedOnUse(() => db.prepare('INSERT OR IGNORE INTO xs_introduced (domid) VALUES (?)'));
    this.#release = preparedOnUse(() => db.prepare('DELETE FROM xs_introduced WHERE domid = ?'));
    this.#appendChange = preparedOnUse(() => db.prepare('INSERT INTO xs_changes (origin, path, exact, readers, at) VALUES (?, ?, ?, ?, ?)'));
    this.#lastSeq = preparedOnUse(() => db.prepare('SELECT coalesce(max(seq), 0) FROM xs_changes').pluck());
    this.#changesAfter = preparedOnUse(() =>
      db.prepare('SELECT seq, origin, path, exact, readers FROM xs_changes WHERE seq > ? ORDER BY seq LIMIT 4096'),
    );
    this.#trimAge = preparedOnUse(() => db.prepare('DELETE FROM xs_changes WHERE at < ?'));
    this.#trimCount = preparedOnUse(() => db.prepare('DELETE FROM xs_changes WHERE seq <= (SELECT max(seq) FROM xs_changes) - ?'));
    this.#clearChanges = preparedOnUse(() => db.prepare('DELETE FROM xs_changes'));
    this.#anyChange = preparedOnUse(() => db.prepare('SELECT 1 FROM xs_changes LIMIT 1'));
    this.#domainsNamed = preparedOnUse(() => db.prepare(`SELECT path FROM xs_nodes WHERE ${DOMAIN_NAME_ROWS} AND value = ?`).pluck());
    // One text cell per name, `<domid>/<name>` (better-sqlite3's array per row costs more than the
    // rest of the listing); the GLOB's `*` also matches deeper paths: only digits between the slashes.
    this.#domainNames = preparedOnUse(() =>
      db
        .prepare(
          `SELECT substr(path, 15, length(path) - 19) || '/' || CAST(value AS TEXT) FROM xs_nodes INDEXED BY xs_nodes_domain_name
           WHERE ${DOMAIN_NAME_ROWS} AND substr(path, 15, length(path) - 19) NOT GLOB '*[^0-9]*'`,
        )
        .pluck(),
    );
  }

  #fail(error: unknown): never {
    this.#cache.clear();
    throw translateSqliteError(error, this.#file, this.#db);
  }

  getNode(path: string): XsNode | undefined {
    const cached = this.#cache.validate() ? this.#nodes.get(path) : undefined;
    if (cached !== undefined) return cached ?? undefined;
    let row: NodeRow | undefined;
    try {
      row = this.#select().get(path) as NodeRow | undefined;
    } catch (error) {
      this.#fail(error);
    }
    let node: XsNode | undefined;
    if (row) {
      let children = ChildList.EMPTY;
      if (row.child_count > 0) {
        try {
          children = ChildList.deferred(row.child_count, this.#childNames(path));
        } catch (error) {
          this.#fail(error);
        }
      }
      node = freezeNode(
        new Uint8Array(row.value.buffer, row.value.byteOffset, row.value.byteLength),
        decodePerms(row.perms),
        children,
        row.generation,
      );
    }
    if (this.#nodes.size >= CACHE_LIMIT) this.#nodes.clear();
    this.#nodes.set(path, node ?? null);
    return node;
  }

  /**
   * A directory's child rows as a `ChildList` reads them: a large one's names when something asks
   * for them, not when the node is read, so adding or removing one domain among 10,000 under
   * `/local/domain` reads none of the others. Read later, they are the directory's names then: a
   * commit made from them checks the node's generation, and fails if the directory changed.
   */
  #childNames(path: string): ChildNameSource {
    return {
      load: () => {
        try {
          return this.#children().all(path) as string[];
        } catch (error) {
          this.#fail(error);
        }
      },
      count: (name) => {
        try {
          return this.#hasChild().get(path, name) === undefined ? 0 : 1;
        } catch (error) {
          this.#fail(error);
        }
      },
    };
  }

  commit(commit: XsCommit): boolean {
    const written = new Map<string, XsNode | null>();
    let applied: boolean;
    try {
      applied = inTransaction(this.#db, 'immediate', () => {
        // The stored generation of each node checked, for the child rows of those written below.
        const stored = new Map<string, number | undefined>();
        for (const [path, expected] of commit.checks) {
          const current = this.#generationOf().get(path) as number | undefined;
          if ((current ?? XS_NO_GENERATION) !== expected) return false;
          stored.set(path, current);
        }
        let generation = this.#counter().get() as number;
        // Cached nodes are exact when their generation is the stored one (checked below per node).
        const cacheUsable = this.#cache.validate();
        for (const write of commit.writes) {
          if (write.kind === 'delete') {
            this.#delete().run(write.path);
            this.#deleteChildren().run(write.path);
            written.set(write.path, null);
            const domain = DOMAIN_ENTRIES.exec(write.path);
            if (domain) this.#options.onDomainEntriesRemoved?.(Number(domain[1]));
            continue;
          }
          generation += 1;
          const { value, perms } = write.node;
          const owner = perms[0];
          if (owner === undefined) throw new TypeError(`node ${write.path} has no permissions`);
          const copy = value.slice();
          // Each path is written once, so what was checked is still what is stored.
          const before = stored.has(write.path) ? stored.get(write.path) : (this.#generationOf().get(write.path) as number | undefined);
          this.#storeChildren(write.path, before, write.node.children, cacheUsable);
          this.#upsert().run(
            write.path,
            Buffer.from(copy.buffer, copy.byteOffset, copy.byteLength),
            encodePerms(perms),
            write.node.children.size,
            owner.id,
            generation,
          );
          // A list whose names were not read reads them from the rows: from now on, the rows written here.
          const children = write.node.children.namesUnread ? ChildList.deferred(write.node.children.size, this.#childNames(write.path)) : write.node.children;
          written.set(write.path, freezeNode(copy, Object.freeze(perms.map((perm) => Object.freeze({ ...perm }))), children, generation));
        }
        this.#setCounter().run(generation);
        this.#record(commit.changes, commit.origin);
        this.#step?.('xenstore.commit');
        return true;
      });
    } catch (error) {
      this.#fail(error);
    }
    if (!applied) {
      // What the caller read moved: read it again from the file (a retry in this run must not see the same).
      this.#cache.clear();
      return false;
    }
    this.#cache.committed();
    this.#ownCommitSincePoll = true;
    for (const [path, node] of written) this.#nodes.set(path, node);
    this.#step?.('xenstore.committed');
    return true;
  }

  /**
   * Inside a commit: makes the child rows of `path` say `list`, touching only what changed. A list
   * made by one `append` or `remove` from the stored one, as this process holds it, is one row
   * written or removed (no list read or compared: a 10,000-child directory costs what a small one
   * does); any other list is compared with the stored one. `stored` is the node's stored
   * generation, undefined for a new node.
   */
  #storeChildren(path: string, stored: number | undefined, list: ChildList, cacheUsable: boolean): void {
    let previous: readonly string[] = EMPTY_CHILDREN;
    if (stored !== undefined) {
      const cached = cacheUsable ? this.#nodes.get(path) : undefined;
      const held = cached && cached.generation === stored ? cached.children : undefined;
      const change = held && list.changeFrom(held);
      if (change) {
        if (change.added) this.#insertChild().run(path, (this.#lastChildSeq().get(path) as number) + 1, change.name);
        else this.#deleteChild().run(path, change.name);
        return;
      }
      previous = held ? held.toArray() : (this.#children().all(path) as string[]);
    }
    // The logic hands over frozen arrays (a 10,000-child list is made into one once, not copied again).
    const children = list.toArray();
    if (previous.length === children.length && previous.every((name, index) => name === children[index])) return;
    const delta = childrenDelta(previous, children);
    if (delta === undefined) {
      this.#deleteChildren().run(path);
      children.forEach((name, index) => this.#insertChild().run(path, index + 1, name));
      return;
    }
    for (const name of delta.removed) this.#deleteChild().run(path, name);
    let seq = this.#lastChildSeq().get(path) as number;
    for (const name of delta.appended) {
      seq += 1;
      this.#insertChild().run(path, seq, name);
    }
  }

  #record(changes: readonly XsChange[], origin: string): void {
    if (changes.length === 0) return;
    const now = Date.now();
    const log = this.#options.changeLog ?? {};
    const trimEvery = log.trimEvery ?? TRIM_EVERY;
    let trim = false;
    for (const change of changes) {
      const { lastInsertRowid } = this.#appendChange().run(origin, change.path, change.exact ? 1 : 0, JSON.stringify(change.readers), now);
      if (Number(lastInsertRowid) % trimEvery === 0) trim = true;
    }
    if (trim) {
      this.#trimAge().run(now - (log.keepMs ?? CHANGE_LOG_KEEP_MS));
      this.#trimCount().run(log.keepRows ?? CHANGE_LOG_KEEP_ROWS);
    }
  }

  /**
   * The domids whose `/local/domain/<domid>/name` is `name`, from the index of names (one lookup,
   * whatever the number of domains). Read as Domain-0 reads, committed state only.
   */
  domidsNamed(name: string): number[] {
    try {
      const paths = this.#domainsNamed().all(Buffer.from(name, 'utf8')) as string[];
      return paths.flatMap((path) => {
        const match = DOMAIN_NAME_PATH.exec(path);
        return match ? [Number(match[1])] : [];
      });
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Every `/local/domain/<domid>/name` by domid, in one query (Domain-0's view, committed state). */
  domainNames(): Map<number, string> {
    try {
      const names = new Map<number, string>();
      for (const row of this.#domainNames().all() as string[]) {
        // 1 to 5 digits, as DOMAIN_NAME_PATH.
        const end = row.indexOf('/');
        if (end >= 1 && end <= 5) names.set(Number(row.slice(0, end)), row.slice(end + 1));
      }
      return names;
    } catch (error) {
      this.#fail(error);
    }
  }

  countOwnedNodes(domid: number): number {
    try {
      return this.#owned().get(domid) as number;
    } catch (error) {
      this.#fail(error);
    }
  }

  isDomainIntroduced(domid: number): boolean {
    try {
      return this.#isIntroduced().get(domid) !== undefined;
    } catch (error) {
      this.#fail(error);
    }
  }

  setDomainIntroduced(domid: number, introduced: boolean): void {
    try {
      inTransaction(this.#db, 'immediate', () => {
        if (introduced) {
          this.#introduce().run(domid);
          this.#options.onDomainIntroduced?.(domid);
        } else {
          this.#release().run(domid);
        }
      });
      this.#cache.committed();
      if (introduced) this.#step?.('xenstore.introduced');
    } catch (error) {
      this.#fail(error);
    }
  }

  /**
   * Empties the change log. It is there for other connections' watches and transactions: the last
   * connection to close the file calls this, when none is left to read it (sequence numbers go on
   * from where they were, so a cursor taken later is still below every change after it).
   */
  clearChangeLog(): void {
    try {
      // Already empty: nothing is written.
      if (this.#anyChange().get() !== undefined) this.#clearChanges().run();
    } catch (error) {
      this.#fail(error);
    }
  }

  readChanges(cursor: number | undefined): XsChangeBatch {
    try {
      if (cursor === undefined) {
        this.#pollEpoch = this.#cache.changes();
        this.#ownCommitSincePoll = false;
        return { cursor: this.#lastSeq().get() as number, changes: [] };
      }
      // Nothing committed anywhere since the last look: no query beyond PRAGMA data_version.
      const epoch = this.#cache.changes();
      if (epoch === this.#pollEpoch && !this.#ownCommitSincePoll) return { cursor, changes: [] };
      const rows = this.#changesAfter().all(cursor) as ChangeRow[];
      // More may be waiting beyond this page: look again next time.
      if (rows.length < 4096) {
        this.#pollEpoch = epoch;
        this.#ownCommitSincePoll = false;
      }
      const last = rows.at(-1);
      return {
        cursor: last ? last.seq : cursor,
        changes: rows.map((row) => ({
          path: row.path,
          exact: row.exact !== 0,
          readers: JSON.parse(row.readers) as XsPermission[][],
          origin: row.origin,
        })),
      };
    } catch (error) {
      this.#fail(error);
    }
  }
}
