/** The in-memory backend: a Map of frozen nodes, the way xenstored keeps its TDB in memory. */
import type { XenStoreBackend, XsChange, XsChangeBatch, XsCommit, XsNode } from './backend.ts';
import { XS_NO_GENERATION } from './backend.ts';

export interface MemoryBackendOptions {
  /**
   * Keep a change log, so several stores on one storage (see `shareMemoryBackend`) deliver each
   * other's watch events through `XenStore.poll()`, as stores on a shared SQLite file do. Default false.
   */
  readonly changeLog?: boolean;
}

export interface MemoryBackend extends XenStoreBackend {
  /** Number of nodes stored. */
  readonly size: number;
}

interface Storage {
  /**
   * Nodes by path; a deleted node stays as `undefined` until `removed` outgrows the live nodes. (A
   * V8 Map entry deleted and added again leaves a dead entry on its hash chain each time: one path
   * removed and recreated over and over in a large tree would make every lookup on it slower.)
   */
  nodes: Map<string, XsNode | undefined>;
  removed: number;
  readonly owned: Map<number, number>;
  readonly introduced: Set<number>;
  generation: number;
  /** Change log (only when enabled): entries and the sequence number of the first one. */
  readonly log: (XsChange & { readonly origin: string })[] | undefined;
  logStart: number;
  /** Cursors of the views that read the log, so entries everybody has read can be dropped. */
  readonly cursors: Map<object, number>;
}

const storages = new WeakMap<MemoryBackend, Storage>();

function account(storage: Storage, node: XsNode | undefined, delta: number): void {
  if (!node) return;
  const owner = node.perms[0]!.id;
  const count = (storage.owned.get(owner) ?? 0) + delta;
  if (count === 0) storage.owned.delete(owner);
  else storage.owned.set(owner, count);
}

/** Drops the deleted entries: a fresh Map of the live nodes, in the same order. */
function compact(storage: Storage): void {
  const live = new Map<string, XsNode | undefined>();
  for (const [path, node] of storage.nodes) if (node !== undefined) live.set(path, node);
  storage.nodes = live;
  storage.removed = 0;
}

function view(storage: Storage): MemoryBackend {
  const self = {};
  const backend: MemoryBackend = {
    get size() {
      return storage.nodes.size - storage.removed;
    },
    getNode(path) {
      return storage.nodes.get(path);
    },
    commit(commit: XsCommit) {
      const nodes = storage.nodes;
      for (const [path, expected] of commit.checks) {
        const current = nodes.get(path);
        if ((current ? current.generation : XS_NO_GENERATION) !== expected) return false;
      }
      for (const write of commit.writes) {
        const previous = nodes.get(write.path);
        account(storage, previous, -1);
        if (write.kind === 'delete') {
          if (previous !== undefined) {
            nodes.set(write.path, undefined);
            storage.removed += 1;
          }
          continue;
        }
        if (previous === undefined && nodes.has(write.path)) storage.removed -= 1;
        storage.generation += 1;
        const { value, perms, children } = write.node;
        const node: XsNode = Object.freeze({ value, perms, children, generation: storage.generation });
        nodes.set(write.path, node);
        account(storage, node, 1);
      }
      if (storage.removed > Math.max(1024, nodes.size - storage.removed)) compact(storage);
      if (storage.log && storage.cursors.size > 0) {
        for (const change of commit.changes) storage.log.push({ ...change, origin: commit.origin });
      }
      return true;
    },
    countOwnedNodes(domid) {
      return storage.owned.get(domid) ?? 0;
    },
    isDomainIntroduced(domid) {
      return storage.introduced.has(domid);
    },
    setDomainIntroduced(domid, value) {
      if (value) storage.introduced.add(domid);
      else storage.introduced.delete(domid);
    },
    close() {
      storage.cursors.delete(self);
    },
  };
  if (storage.log) {
    const log = storage.log;
    backend.readChanges = (cursor: number | undefined): XsChangeBatch => {
      const end = storage.logStart + log.length;
      const from = cursor === undefined ? end : Math.max(cursor, storage.logStart);
      const changes = log.slice(from - storage.logStart);
      storage.cursors.set(self, end);
      // Drop what every reader has seen.
      const oldest = Math.min(...storage.cursors.values());
      if (oldest > storage.logStart) {
        log.splice(0, oldest - storage.logStart);
        storage.logStart = oldest;
      }
      return { cursor: end, changes };
    };
  }
  return backend;
}

/** A backend private to this process. */
export function createMemoryBackend(options: MemoryBackendOptions = {}): MemoryBackend {
  const storage: Storage = {
    nodes: new Map(),
    removed: 0,
    owned: new Map(),
    introduced: new Set(),
    generation: 0,
    log: options.changeLog ? [] : undefined,
    logStart: 0,
    cursors: new Map(),
  };
  const backend = view(storage);
  storages.set(backend, storage);
  return backend;
}

/**
 * Another backend on the same in-memory storage, standing in for a second process sharing a host
 * file: give each `createXenStore` its own. Watch events cross over through `poll()` when the storage
 * was created with `changeLog: true`.
 */
export function shareMemoryBackend(backend: MemoryBackend): MemoryBackend {
  const storage = storages.get(backend);
  if (!storage) throw new TypeError('not a backend made by createMemoryBackend');
  const shared = view(storage);
  storages.set(shared, storage);
  return shared;
}
