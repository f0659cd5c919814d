/**
 * libxl's per-domain userdata (`libxl_userdata_store`, `libxl_userdata_retrieve`,
 * `libxl_userdata_unlink`, `libxl__userdata_destroyall` in `tools/libs/light/libxl_dom.c`): blobs
 * libxl keeps for a domain by userdata id. libxl keeps them as files
 * `/var/lib/xen/userdata-d.<domid>.<uuid>.<userid>`, the uuid being the live domain's own; here the
 * store is an interface keyed by domid and userid (the SQLite host implements it), with an
 * in-memory implementation. The uuid part is implied: a domid names one live domain, and destroy
 * removes every blob of the domain.
 *
 * The userids libxl and xl use: `libxl-json` (the domain's `libxl_domain_config` as libxl JSON,
 * `libxl__set_domain_configuration`) and `xl` (the config text, kept by `xl config-update`).
 *
 * This module is also the package's `@xen-genid/xl-lib/userdata` entry: a store implementation
 * (the SQLite host) can import the key check and the userids from there without loading libxl.
 */
import { XlError } from './errors.ts';

/** `libxl-json`: the stored domain configuration. */
export const USERDATA_LIBXL_JSON = 'libxl-json';
/** `xl`: the xl.cfg text, as xl keeps it. */
export const USERDATA_XL = 'xl';

/** Every method is synchronous and atomic on its own. */
export interface UserdataStore {
  /**
   * `libxl_userdata_store`: stores (replaces) the blob atomically, as libxl writes a temporary file
   * and renames it. Empty data removes the blob, as libxl unlinks the file when `datalen` is 0.
   */
  store(domid: number, userid: string, data: Uint8Array): void;
  /** `libxl_userdata_retrieve`: the blob, or `undefined` when there is none (not an error). */
  retrieve(domid: number, userid: string): Uint8Array | undefined;
  /** `libxl_userdata_unlink`: removes one blob (no error when absent). */
  unlink(domid: number, userid: string): void;
  /** `libxl__userdata_destroyall`: removes every blob of `domid` (on domain destroy). */
  destroyAll(domid: number): void;
  /** The userids stored for `domid`, sorted. */
  list(domid: number): string[];
}

const USERID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Checks a key as libxl needs it for a file name: `XlError('INVAL')` otherwise. */
export function checkUserdataKey(domid: number, userid: string): void {
  if (!Number.isInteger(domid) || domid < 0 || domid > 0xffff) {
    throw new XlError('INVAL', `userdata: invalid domid ${domid}`);
  }
  if (typeof userid !== 'string' || !USERID_PATTERN.test(userid)) {
    throw new XlError('INVAL', `userdata: invalid userdata id ${JSON.stringify(userid)}`);
  }
}

/** An in-memory `UserdataStore`: one process, nothing persisted. */
export class MemoryUserdataStore implements UserdataStore {
  readonly #domains = new Map<number, Map<string, Uint8Array>>();

  store(domid: number, userid: string, data: Uint8Array): void {
    checkUserdataKey(domid, userid);
    if (data.length === 0) {
      this.unlink(domid, userid);
      return;
    }
    let blobs = this.#domains.get(domid);
    if (!blobs) {
      blobs = new Map();
      this.#domains.set(domid, blobs);
    }
    blobs.set(userid, data.slice());
  }

  retrieve(domid: number, userid: string): Uint8Array | undefined {
    checkUserdataKey(domid, userid);
    return this.#domains.get(domid)?.get(userid)?.slice();
  }

  unlink(domid: number, userid: string): void {
    checkUserdataKey(domid, userid);
    const blobs = this.#domains.get(domid);
    blobs?.delete(userid);
    if (blobs?.size === 0) this.#domains.delete(domid);
  }

  destroyAll(domid: number): void {
    this.#domains.delete(domid);
  }

  list(domid: number): string[] {
    return [...(this.#domains.get(domid)?.keys() ?? [])].sort();
  }

  /** The domids that have at least one blob, ascending. */
  domids(): number[] {
    return [...this.#domains.keys()].sort((left, right) => left - right);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Stores text as UTF-8. */
export function storeUserdataText(store: UserdataStore, domid: number, userid: string, text: string): void {
  store.store(domid, userid, encoder.encode(text));
}

/** Retrieves UTF-8 text; `XlError('FAIL')` if the blob is not valid UTF-8. */
export function retrieveUserdataText(store: UserdataStore, domid: number, userid: string): string | undefined {
  const data = store.retrieve(domid, userid);
  if (data === undefined) return undefined;
  try {
    return decoder.decode(data);
  } catch (error) {
    throw new XlError('FAIL', `userdata ${userid} of domain ${domid} is not UTF-8 text`, { cause: error });
  }
}
