/**
 * The sizes and quotas xenstored enforces, and what every part of the store logic shares.
 * @see tools/include/xen/io/xs_wire.h (XENSTORE_PAYLOAD_MAX), tools/xenstore/xenstored_core.c (the quota options)
 */
import type { XenStoreBackend, XsChange } from './backend.ts';
import { XENSTORE_REL_PATH_MAX } from './path.ts';
import type { XsPermission } from './perms.ts';
import type { XsTraceSink } from './trace.ts';

/** Largest payload of one wire message (xs_wire.h). Values are limited to it in every API. */
export const XENSTORE_PAYLOAD_MAX = 4096;

/** 4.17 xenstored's limits; they bind unprivileged domains only. */
export interface XsQuotas {
  /** Nodes a domain may own (`quota_nb_entry_per_domain`, -E). Exceeded: ENOSPC. */
  readonly entriesPerDomain: number;
  /** Watches a domain may have (`quota_nb_watch_per_domain`, -W); as in 4.17, one more gets through. Exceeded: E2BIG. */
  readonly watchesPerDomain: number;
  /** Bytes of one stored node: header, perms, value, child names (`quota_max_entry_size`, -S). Exceeded: ENOSPC. */
  readonly nodeSize: number;
  /** Open transactions per connection (`quota_max_transaction`, -t); as in 4.17, one more gets through. Exceeded: ENOSPC. */
  readonly transactionsPerConnection: number;
  /** Entries in one permission list (`quota_nb_perms_per_node`, -A). Exceeded: ENOSPC. */
  readonly permsPerNode: number;
  /** Characters of a path after any `/local/domain/<N>/` (`quota_max_path_len`, -M). Exceeded: EINVAL. */
  readonly pathLength: number;
  /** Nodes one transaction may access (`quota_trans_nodes`, -n). Exceeded: ENOSPC. */
  readonly nodesPerTransaction: number;
}

/** Defaults of tools/xenstore/xenstored_core.c in 4.17. */
export const XS_DEFAULT_QUOTAS: XsQuotas = Object.freeze({
  entriesPerDomain: 1000,
  watchesPerDomain: 128,
  nodeSize: 2048,
  transactionsPerConnection: 10,
  permsPerNode: 5,
  pathLength: XENSTORE_REL_PATH_MAX,
  nodesPerTransaction: 1024,
});

/** The permissions of `/` and the nodes a fresh xenstored makes: owned by Domain-0, no access for others. */
export const ROOT_PERMS: readonly XsPermission[] = Object.freeze([Object.freeze({ id: 0, access: 'n' as const })]);

/** What the parts of the logic (nodes, transactions, watches, domains) share of one store. */
export interface StoreContext {
  readonly backend: XenStoreBackend;
  readonly quotas: XsQuotas;
  /** Identifies this store's commits in a shared backend's change log. */
  readonly origin: string;
  /** Delivers watch events for committed changes to every connection of this process. */
  fire(changes: readonly XsChange[]): void;
  /** Receives every request that changes the store, when tracing is on. */
  readonly trace: XsTraceSink | undefined;
}
