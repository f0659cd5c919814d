/**
 * Domain names (`libxl_utils.c`: `libxl_name_to_domid`, `libxl_domid_to_name`; `libxl_domain.c`:
 * `libxl_domain_rename`). libxl scans `/local/domain` on every lookup; here a store that indexes
 * names (the host file does) answers, or else the names are indexed from a watch on
 * `/local/domain`, built on first use (a context used by domid never scans).
 */
import { LOCAL_DOMAIN_PATH, domainPath, type Hypervisor } from '@xen-genid/xc-params';
import type { XenStore, XsConnection, XsWatchEvent } from '@xen-genid/xenstore';
import { XlError, wrapFailure } from '../errors.ts';
import { getDomainConfiguration, storeDomainConfiguration } from '../stored-config.ts';
import { UNTIL_COMMITTED, type DomainNames, type LibxlInternals } from './internal.ts';

const NAME_WATCH_TOKEN = 'xl-lib:domain-names';
const DOMAIN_PATH_PATTERN = /^\/local\/domain\/(\d+)(?:\/name)?$/;

/** `/local/domain/<domid>/name` looked up by value, as a store with an index answers it. */
export interface DomainNameIndex {
  /** The domids whose `/local/domain/<domid>/name` is `name` (live or not: checked by the caller). */
  domidsNamed(name: string): number[];
  /** Every `/local/domain/<domid>/name`, by domid. */
  domainNames(): Map<number, string>;
}

/**
 * A context's names: the store's index when it has one, else name → domids and domid → name
 * kept from a watch on `/local/domain`.
 */
export class NameIndex implements DomainNames {
  readonly #xenstore: XenStore;
  readonly #xs: XsConnection;
  readonly #hypervisor: Hypervisor;
  readonly #store: DomainNameIndex | undefined;
  readonly #domidsByName = new Map<string, Set<number>>();
  readonly #nameByDomid = new Map<number, string>();
  #loaded = false;

  /** Watches `/local/domain` on `xs` (the watch goes with the connection). */
  constructor(xenstore: XenStore, xs: XsConnection, hypervisor: Hypervisor, store?: DomainNameIndex) {
    this.#xenstore = xenstore;
    this.#xs = xs;
    this.#hypervisor = hypervisor;
    this.#store = store;
    xs.watch(LOCAL_DOMAIN_PATH, NAME_WATCH_TOKEN, (event) => this.#onDomainEvent(event));
  }

  #load(): void {
    if (this.#loaded) return;
    this.#loaded = true;
    let domids: string[];
    try {
      domids = this.#xs.directory(LOCAL_DOMAIN_PATH);
    } catch {
      domids = [];
    }
    for (const entry of domids) if (/^\d+$/.test(entry)) this.refresh(Number(entry));
  }

  #onDomainEvent(event: XsWatchEvent): void {
    if (!this.#loaded) return;
    const match = DOMAIN_PATH_PATTERN.exec(event.path);
    if (match) this.refresh(Number(match[1]));
  }

  #read(domid: number): string | undefined {
    try {
      return this.#xs.tryReadString(`${domainPath(domid)}/name`);
    } catch {
      return undefined;
    }
  }

  /** Re-reads the name of `domid` (after it was created, renamed or destroyed). */
  refresh(domid: number): void {
    if (!this.#loaded) return;
    const previous = this.#nameByDomid.get(domid);
    const current = this.#read(domid);
    if (previous === current) return;
    if (previous !== undefined) {
      const set = this.#domidsByName.get(previous);
      set?.delete(domid);
      if (set?.size === 0) this.#domidsByName.delete(previous);
      this.#nameByDomid.delete(domid);
    }
    if (current !== undefined) {
      this.#nameByDomid.set(domid, current);
      let set = this.#domidsByName.get(current);
      if (!set) {
        set = new Set();
        this.#domidsByName.set(current, set);
      }
      set.add(domid);
    }
  }

  /** The live domains named `name`, checked against the hypervisor. */
  domidsNamed(name: string): number[] {
    this.#xenstore.poll();
    let named: Iterable<number>;
    if (this.#store) {
      named = this.#store.domidsNamed(name);
    } else {
      this.#load();
      named = this.#domidsByName.get(name) ?? [];
    }
    return [...named].filter((domid) => this.#hypervisor.getDomain(domid) !== undefined);
  }

  /** `libxl_name_to_domid`: `XlError('INVAL')` when no domain has that name (as libxl). */
  nameToDomid(name: string): number {
    const [domid] = this.domidsNamed(name).sort((left, right) => left - right);
    if (domid === undefined) throw new XlError('INVAL', `no domain named "${name}"`);
    return domid;
  }

  /** `libxl_domid_to_name`: the name in xenstore, or undefined. */
  domidToName(domid: number): string | undefined {
    this.#xenstore.poll();
    if (!this.#loaded) return this.#read(domid);
    return this.#nameByDomid.get(domid);
  }

  /** Every name at once (for `libxl_list_domain`), read from the index. */
  names(): ReadonlyMap<number, string> {
    this.#xenstore.poll();
    if (this.#store) return this.#store.domainNames();
    this.#load();
    return this.#nameByDomid;
  }
}

/**
 * `libxl_domain_rename`: `oldName` (when given) must be the current name; a non-empty new name
 * must be unique (`XlError('INVAL')`). Writes `<dom>/name` and `/vm/<uuid>/name` in one
 * transaction, and the stored config's `c_info.name`.
 */
export function renameDomain(ctx: LibxlInternals, domid: number, oldName: string | undefined, newName: string): void {
  const config = getDomainConfiguration(ctx, domid);
  if (newName !== '' && ctx.names.domidsNamed(newName).some((other) => other !== domid)) {
    throw new XlError('INVAL', `Domain with name "${newName}" already exists.`);
  }
  try {
    ctx.xs.transaction((transaction) => {
      const current = transaction.readString(`${domainPath(domid)}/name`);
      if (oldName !== undefined && current !== oldName) {
        throw new XlError('FAIL', `Allegedly named \`${oldName}' is actually named \`${current}' - racing ?`);
      }
      transaction.write(`${domainPath(domid)}/name`, newName);
      transaction.write(`/vm/${config.createInfo.uuid}/name`, newName);
    }, UNTIL_COMMITTED);
  } catch (error) {
    throw wrapFailure(`domain ${domid}: rename failed`, error);
  }
  config.createInfo.name = newName;
  storeDomainConfiguration(ctx.userdata, domid, config);
}
