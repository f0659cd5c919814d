/**
 * libxl's per-domain userdata (`libxl__userdata_store`, `libxl__userdata_retrieve`,
 * `libxl__userdata_destroyall` in `tools/libs/light/libxl_dom.c`): blobs libxl keeps for a domain,
 * keyed by domid, the domain's uuid and a userdata type. libxl keeps them as files
 * `/var/lib/xen/userdata-<domid>.<uuid>.<type>`; here the store is an interface (the SQLite host
 * implements it) with an in-memory implementation.
 *
 * The types libxl and xl use: `libxl-json` (the domain's `libxl_domain_config`, as libxl JSON) and
 * `xl` (the config text xl parsed, kept by `xl config-update`).
 */
import { XlError } from './errors.ts';

/** `libxl-json`: the stored domain configuration (`libxl__set_domain_configuration`). */
export const USERDATA_LIBXL_JSON = 'libxl-json';
/** `xl`: the xl.cfg text, as xl keeps it. */
export const USERDATA_XL = 'xl';

/** One stored blob's key. */
export interface UserdataKey {
  readonly domid: number;
  readonly uuid: string;
  readonly userdataType: string;
}

/** Every method is synchronous and atomic on its own. */
export interface UserdataStore {
  /**
   * Stores (replaces) the blob atomically, as libxl writes a temporary file and renames it. Empty
   * data removes the blob, as libxl unlinks the file when `datalen` is 0.
   */
  store(key: UserdataKey, data: Uint8Array): void;
  /** The blob, or `undefined` when there is none (libxl: `ENOENT` → no data, not an error). */
  retrieve(key: UserdataKey): Uint8Array | undefined;
  /** Removes every blob of `domid`, whatever its uuid and type (on domain destroy). */
  destroyAll(domid: number): void;
  /** Every stored key, in no particular order. */
  list(): UserdataKey[];
}

const USERDATA_TYPE_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** Checks a key as libxl would need it for a file name: `XlError('INVAL')` otherwise. */
export function checkUserdataKey(key: UserdataKey): void {
  if (!Number.isInteger(key.domid) || key.domid < 0 || key.domid > 0xffff) {
    throw new XlError('INVAL', `userdata: invalid domid ${key.domid}`);
  }
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(key.uuid)) {
    throw new XlError('INVAL', `userdata: invalid uuid ${JSON.stringify(key.uuid)}`);
  }
  if (!USERDATA_TYPE_PATTERN.test(key.userdataType)) {
    throw new XlError('INVAL', `userdata: invalid userdata type ${JSON.stringify(key.userdataType)}`);
  }
}

const keyText = (key: UserdataKey): string => `${key.domid}.${key.uuid}.${key.userdataType}`;

/** An in-memory `UserdataStore`: one process, nothing persisted. */
export class MemoryUserdataStore implements UserdataStore {
  readonly #blobs = new Map<string, { key: UserdataKey; data: Uint8Array }>();
  readonly #byDomid = new Map<number, Set<string>>();

  store(key: UserdataKey, data: Uint8Array): void {
    checkUserdataKey(key);
    const text = keyText(key);
    if (data.length === 0) {
      this.#blobs.delete(text);
      this.#byDomid.get(key.domid)?.delete(text);
      return;
    }
    this.#blobs.set(text, { key: { domid: key.domid, uuid: key.uuid, userdataType: key.userdataType }, data: data.slice() });
    let keys = this.#byDomid.get(key.domid);
    if (!keys) {
      keys = new Set();
      this.#byDomid.set(key.domid, keys);
    }
    keys.add(text);
  }

  retrieve(key: UserdataKey): Uint8Array | undefined {
    checkUserdataKey(key);
    return this.#blobs.get(keyText(key))?.data.slice();
  }

  destroyAll(domid: number): void {
    for (const text of this.#byDomid.get(domid) ?? []) this.#blobs.delete(text);
    this.#byDomid.delete(domid);
  }

  list(): UserdataKey[] {
    return [...this.#blobs.values()].map((entry) => entry.key);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Stores text as UTF-8. */
export function storeUserdataText(store: UserdataStore, key: UserdataKey, text: string): void {
  store.store(key, encoder.encode(text));
}

/** Retrieves UTF-8 text; `XlError('FAIL')` if the blob is not valid UTF-8. */
export function retrieveUserdataText(store: UserdataStore, key: UserdataKey): string | undefined {
  const data = store.retrieve(key);
  if (data === undefined) return undefined;
  try {
    return decoder.decode(data);
  } catch (error) {
    throw new XlError('FAIL', `userdata ${keyText(key)} is not UTF-8 text`, { cause: error });
  }
}
