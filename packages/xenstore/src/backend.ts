/**
 * The storage under the xenstore logic. Everything Xen-specific (path rules, permissions,
 * quotas, transactions, watches) lives in `createXenStore`; a backend only stores nodes and applies
 * batches atomically, like the TDB under tools/xenstore/xenstored_core.c.
 *
 * Contract (checked by `defineBackendConformance` in `@xen-genid/xenstore/testing`):
 * - all calls are synchronous;
 * - a node returned by `getNode` is never mutated afterwards (return a fresh or frozen object);
 * - `commit` is all-or-nothing: when any check fails nothing is written and it returns `false`;
 * - every node written by a successful commit gets a generation greater than any generation handed
 *   out before (by this or any other process sharing the storage).
 */
import type { ChildList } from './child-list.ts';
import type { XsPermission } from './perms.ts';

/** Generation of a node that does not exist (Xen's `NO_GENERATION`). */
export const XS_NO_GENERATION = -1;

/** A stored node: Xen's `struct node` without its name. */
export interface XsNode {
  /** The value; may be empty. Binary, no trailing NUL. */
  readonly value: Uint8Array;
  /** At least one entry; the first is owner and default. */
  readonly perms: readonly XsPermission[];
  /** Child names (last path component), in creation order. */
  readonly children: ChildList;
  /** The global generation count when the node was last written (Xen's `node->generation`). */
  readonly generation: number;
}

/** What the logic asks a backend to store for one node; the backend assigns the generation. */
export interface XsNodeContent {
  readonly value: Uint8Array;
  readonly perms: readonly XsPermission[];
  /**
   * Child names in creation order. A backend that stores arrays takes `children.toArray()` (made once
   * per list, then the same frozen array) and loads them back with `ChildList.of`.
   */
  readonly children: ChildList;
}

export type XsNodeWrite =
  | { readonly kind: 'put'; readonly path: string; readonly node: XsNodeContent }
  | { readonly kind: 'delete'; readonly path: string };

/**
 * A change that may fire watches, as recorded for other processes sharing the storage.
 * `exact` events match only watches on exactly `path` (children of a removed subtree); others match
 * watches at or above `path`. A watcher that is not privileged is told only if one of `readers`
 * (permission lists captured when the change happened: the node's, its parent's, its old ones)
 * lets it read. Special events (`@introduceDomain`, `@releaseDomain`) have `exact` set.
 */
export interface XsChange {
  readonly path: string;
  readonly exact: boolean;
  readonly readers: readonly (readonly XsPermission[])[];
}

export interface XsCommit {
  /**
   * Generation each listed node must still have (`XS_NO_GENERATION`: must not exist).
   * An empty map means "no checks".
   */
  readonly checks: ReadonlyMap<string, number>;
  /** Applied in order. Deleting a missing node is not an error. */
  readonly writes: readonly XsNodeWrite[];
  /** Changes to record for other processes (a backend private to one process may ignore them). */
  readonly changes: readonly XsChange[];
  /** Identifies the store instance that commits, so it can skip its own changes when polling. */
  readonly origin: string;
}

/** A batch of changes made by other store instances, for `XenStore.poll()`. */
export interface XsChangeBatch {
  /** Pass this back to get the changes after these. */
  readonly cursor: number;
  readonly changes: readonly (XsChange & { readonly origin: string })[];
}

export interface XenStoreBackend {
  /** The node at an absolute path, or undefined. */
  getNode(path: string): XsNode | undefined;
  /** Checks then applies atomically. `false` (and nothing applied) when a check fails. */
  commit(commit: XsCommit): boolean;
  /** How many nodes `domid` owns (first permission entry), for the per-domain entry quota. */
  countOwnedNodes(domid: number): number;
  /** Domains introduced with XS_INTRODUCE and not yet released. */
  isDomainIntroduced(domid: number): boolean;
  setDomainIntroduced(domid: number, introduced: boolean): void;
  /**
   * Optional, for storage shared between processes: changes recorded since `cursor`
   * (undefined = "start from now": return the current cursor and no changes).
   */
  readChanges?(cursor: number | undefined): XsChangeBatch;
  /** Optional: release resources. */
  close?(): void;
}
