import { createMemoryBackend } from './memory-backend.ts';
import type { XenStore, XenStoreOptions } from './store.ts';
import { createXenStore } from './store.ts';

/** A xenstore held in this process's memory (a fresh xenstored's tree: `/`, `/tool/xenstored`). */
export function createMemoryStore(options: XenStoreOptions = {}): XenStore {
  return createXenStore(createMemoryBackend(), options);
}
