/** The in-memory backend: a Map of frozen nodes, the way xenstored keeps its TDB in memory. */
import type { XenStoreBackend, XsCommit, XsNode } from './backend.ts';
import { XS_NO_GENERATION } from './backend.ts';

export interface MemoryBackend extends XenStoreBackend {
  /** Number of nodes stored. */
  readonly size: number;
}

/** A backend private to this process. It keeps no change log (there is nobody else to tell). */
export function createMemoryBackend(): MemoryBackend {
  const nodes = new Map<string, XsNode>();
  const owned = new Map<number, number>();
  const introduced = new Set<number>();
  let generation = 0;

  const account = (node: XsNode | undefined, delta: number): void => {
    if (!node) return;
    const owner = node.perms[0]!.id;
    owned.set(owner, (owned.get(owner) ?? 0) + delta);
  };

  return {
    get size() {
      return nodes.size;
    },
    getNode(path) {
      return nodes.get(path);
    },
    commit(commit: XsCommit) {
      for (const [path, expected] of commit.checks) {
        const current = nodes.get(path);
        if ((current ? current.generation : XS_NO_GENERATION) !== expected) return false;
      }
      for (const write of commit.writes) {
        const old = nodes.get(write.path);
        account(old, -1);
        if (write.kind === 'delete') {
          nodes.delete(write.path);
          continue;
        }
        generation += 1;
        const node: XsNode = Object.freeze({
          value: write.node.value,
          perms: write.node.perms,
          children: write.node.children,
          generation,
        });
        nodes.set(write.path, node);
        account(node, 1);
      }
      return true;
    },
    countOwnedNodes(domid) {
      return owned.get(domid) ?? 0;
    },
    isDomainIntroduced(domid) {
      return introduced.has(domid);
    },
    setDomainIntroduced(domid, value) {
      if (value) introduced.add(domid);
      else introduced.delete(domid);
    },
  };
}
