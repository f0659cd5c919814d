/**
 * A libxl context (`libxl_ctx`, `tools/libs/light/libxl.c` libxl_ctx_alloc) over a simulated
 * hypervisor, a xenstore and a userdata store, with the domain lifecycle:
 * - `createDomain`: `libxl_domain_create_new` / `libxl_domain_create_restore`
 *   (`libxl_create.c` initiate_domain_create → libxl__domain_make → libxl__domain_build →
 *   libxl__build_post, or domcreate_stream_done → libxl__build_post for a restore);
 * - `destroyDomain`: `libxl_domain_destroy` (`libxl_domain.c` devices_destroy_cb);
 * - `pauseDomain` / `unpauseDomain`: `libxl_domain_pause` / `libxl_domain_unpause`;
 * - `shutdownDomain` / `rebootDomain`: `libxl_domain_shutdown` / `libxl_domain_reboot`, with the
 *   guest's shutdown and the config's `on_*` action as xl's event loop applies it;
 * - lookups: `libxl_name_to_domid`, `libxl_domid_to_name`, `libxl_domain_info`,
 *   `libxl_list_domain`, `libxl_retrieve_domain_configuration`.
 * Every operation is synchronous (the simulated guest runs inside `unpause`).
 */
import {
  createXc,
  domainPath,
  type DomainInfo,
  type GuestModel,
  type Hypervisor,
  type ShutdownReason,
  type XcInterface,
} from '@xen-genid/xc-params';
import type { XenStore, XsConnection, XsWatchEvent } from '@xen-genid/xenstore';
import { createGuestModel } from '@xen-genid/hvmloader-sim/guest';
import { XlError, wrapFailure } from '../errors.ts';
import { osRandomSource, randomBytes, type RandomSource } from '../random-bytes.ts';
import { copyDomainConfig, validateDomainConfig, type ActionOnShutdown, type DomainConfig } from '../types/domain-config.ts';
import { LIBXL_MEMKB_DEFAULT, NIL_UUID } from '../types/idl.ts';
import { msVmGenidSet, type GenidSetResult } from '../genid/genid-set.ts';
import { decideGenid, genidModeOfConfig, genidOfConfig, setGenidOfConfig } from '../genid/lifecycle-policy.ts';
import type { MsVmGenid } from '../genid/ms-vm-genid.ts';
import { deliverPendingGenidNotify, notifyGenidChange } from '../genid/notify.ts';
import { applyGenid } from '../genid/renewal.ts';
import { existingDomain, retrieveDomainConfiguration, storeDomainConfiguration } from '../stored-config.ts';
import type { UserdataStore } from '../userdata.ts';
import {
  ensureDomain0Entries,
  removeDomainEntries,
  writeBuildPostEntries,
  writeDomainSkeleton,
  writeLibxlEntry,
  type BuildValues,
} from './xenstore-layout.ts';

export interface LibxlOptions {
  readonly hypervisor: Hypervisor;
  readonly xenstore: XenStore;
  readonly userdata: UserdataStore;
  /** Where generated uuids and IDs come from (default: the OS CSPRNG). */
  readonly random?: RandomSource;
  /**
   * The software a domain runs, registered with the hypervisor before a domain is unpaused.
   * Default: hvmloader-sim's firmware and guest model (`createGuestModel`) over this context's
   * hypervisor and xenstore. `null`: register nothing (whatever model is registered runs).
   */
  readonly guestModel?: GuestModel | null;
  /** The clock for `start_time` (milliseconds since the epoch); default `Date.now`. */
  readonly now?: () => number;
  /**
   * Domain names as the store indexes them (the host file does): then a lookup by name or a
   * listing reads only what it needs, instead of this context reading every domain's name once.
   */
  readonly names?: DomainNameIndex;
  /**
   * Runs a body as one transaction of the machine (hypervisor, xenstore and userdata together), so
   * that a change made in several of them is never seen, or left, half made. Default: runs it.
   */
  readonly atomically?: <T>(body: () => T) => T;
}

/** `/local/domain/<domid>/name` looked up by value, as a store with an index answers it. */
export interface DomainNameIndex {
  /** The domids whose `/local/domain/<domid>/name` is `name` (live or not: checked by the caller). */
  domidsNamed(name: string): number[];
  /** Every `/local/domain/<domid>/name`, by domid. */
  domainNames(): Map<number, string>;
}

/**
 * libxl's transaction loops (`libxl__xs_transaction_commit` and its callers) start again on every
 * EAGAIN, however many: a conflict means another commit went through, so the host as a whole moves on.
 */
const UNTIL_COMMITTED = { attempts: Number.POSITIVE_INFINITY };

/** Restoring a domain from a stream instead of booting it (`libxl_domain_create_restore`). */
export interface RestoreHooks {
  /**
   * Called once the hypervisor domain, its xenstore entries and its stored config exist, before
   * `libxl__build_post`: load guest memory and HVM params here. A throw aborts the create (and
   * everything made is destroyed).
   */
  load(domid: number): void;
}

export interface CreateDomainOptions {
  /** Leave the domain paused (`xl create -p`): the firmware has not run yet. */
  readonly paused?: boolean;
  /** Build from a stream instead of booting: the guest resumes on its first unpause. */
  readonly restore?: RestoreHooks;
}

/** What `shutdownDomain` did after the guest shut down (the config's `on_*` action, as xl applies it). */
export interface ShutdownOutcome {
  readonly reason: ShutdownReason;
  readonly action: ActionOnShutdown;
  /** True when the domain no longer exists. */
  readonly destroyed: boolean;
}

/** A domain as `libxl_list_domain` reports it, with its name (`libxl_domid_to_name`). */
export interface LibxlDomainInfo extends DomainInfo {
  readonly name: string | undefined;
}

const DEFAULT_MAX_MEMKB = 32n * 1024n;
const HVM_VIDEO_MEMKB = 8n * 1024n;
const NAME_WATCH_TOKEN = 'xl-lib:domain-names';
const DOMAIN_PATH_PATTERN = /^\/local\/domain\/(\d+)(?:\/name)?$/;
const textDecoder = new TextDecoder();

/** `libxl_uuid_generate`: a random (version 4) uuid, lower case. */
function generateUuid(random: RandomSource): string {
  const bytes = randomBytes(16, random);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A libxl context. Close it (or `using`) to drop its xenstore connection and watch. */
export class Libxl implements Disposable {
  readonly hypervisor: Hypervisor;
  readonly xenstore: XenStore;
  readonly userdata: UserdataStore;
  readonly random: RandomSource;
  /** The toolstack's xc handle (Domain-0). */
  readonly xc: XcInterface;
  /** The toolstack's xenstore connection (Domain-0, privileged). */
  readonly xs: XsConnection;
  readonly #guestModel: GuestModel | undefined;
  readonly #now: () => number;
  readonly #atomically: <T>(body: () => T) => T;
  readonly #names: DomainNameIndex | undefined;
  /** name → domids carrying it, kept from a watch on `/local/domain` (so lookups are not scans). */
  readonly #domidsByName = new Map<string, Set<number>>();
  readonly #nameByDomid = new Map<number, string>();
  /** The index is built from xenstore on first use (a context used by domid never scans). */
  #namesLoaded = false;

  constructor(options: LibxlOptions) {
    this.hypervisor = options.hypervisor;
    this.xenstore = options.xenstore;
    this.userdata = options.userdata;
    this.random = options.random ?? osRandomSource;
    this.#guestModel =
      options.guestModel === undefined
        ? createGuestModel({ hypervisor: options.hypervisor, store: options.xenstore })
        : (options.guestModel ?? undefined);
    this.#now = options.now ?? Date.now;
    this.#names = options.names;
    this.#atomically = options.atomically ?? ((body) => body());
    this.xc = createXc(this.hypervisor);
    this.#registerGuestModel();
    this.xs = this.xenstore.connect(0);
    try {
      ensureDomain0Entries(this.xs);
      this.xs.watch('/local/domain', NAME_WATCH_TOKEN, (event) => this.#onDomainEvent(event));
    } catch (error) {
      this.xs.close();
      throw wrapFailure('libxl context', error);
    }
  }

  // ---- names ---------------------------------------------------------------------------------

  #loadNames(): void {
    if (this.#namesLoaded) return;
    this.#namesLoaded = true;
    let domids: string[];
    try {
      domids = this.xs.directory('/local/domain');
    } catch {
      domids = [];
    }
    for (const entry of domids) if (/^\d+$/.test(entry)) this.#refreshName(Number(entry));
  }

  #onDomainEvent(event: XsWatchEvent): void {
    if (!this.#namesLoaded) return;
    const match = DOMAIN_PATH_PATTERN.exec(event.path);
    if (match) this.#refreshName(Number(match[1]));
  }

  #readName(domid: number): string | undefined {
    try {
      const value = this.xs.tryRead(`${domainPath(domid)}/name`);
      return value === undefined ? undefined : textDecoder.decode(value);
    } catch {
      return undefined;
    }
  }

  #refreshName(domid: number): void {
    if (!this.#namesLoaded) return;
    const previous = this.#nameByDomid.get(domid);
    const current = this.#readName(domid);
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
  #domidsNamed(name: string): number[] {
    this.xenstore.poll();
    let named: Iterable<number>;
    if (this.#names) {
      named = this.#names.domidsNamed(name);
    } else {
      this.#loadNames();
      named = this.#domidsByName.get(name) ?? [];
    }
    return [...named].filter((domid) => this.hypervisor.getDomain(domid) !== undefined);
  }

  /** `libxl_name_to_domid`: `XlError('INVAL')` when no domain has that name (as libxl). */
  nameToDomid(name: string): number {
    const [domid] = this.#domidsNamed(name).sort((left, right) => left - right);
    if (domid === undefined) throw new XlError('INVAL', `no domain named "${name}"`);
    return domid;
  }

  /** `libxl_domid_to_name`: the name in xenstore, or undefined. */
  domidToName(domid: number): string | undefined {
    this.xenstore.poll();
    if (!this.#namesLoaded) return this.#readName(domid);
    return this.#nameByDomid.get(domid);
  }

  /** A domid, or a name (xl's `find_domain`: all digits = a domid). */
  resolveDomain(domainOrName: string | number): number {
    if (typeof domainOrName === 'number') {
      this.domainInfo(domainOrName);
      return domainOrName;
    }
    if (/^\d+$/.test(domainOrName)) {
      const domid = Number(domainOrName);
      this.domainInfo(domid);
      return domid;
    }
    return this.nameToDomid(domainOrName);
  }

  /**
   * `libxl_domain_rename`: `oldName` (when given) must be the current name; a non-empty new name
   * must be unique (`XlError('INVAL')`). Writes `<dom>/name` and `/vm/<uuid>/name` in one
   * transaction, and the stored config's `c_info.name`.
   */
  renameDomain(domid: number, oldName: string | undefined, newName: string): void {
    const config = this.retrieveDomainConfiguration(domid);
    if (newName !== '' && this.#domidsNamed(newName).some((other) => other !== domid)) {
      throw new XlError('INVAL', `Domain with name "${newName}" already exists.`);
    }
    try {
      this.xs.transaction((transaction) => {
        const current = new TextDecoder().decode(transaction.read(`${domainPath(domid)}/name`));
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
    this.storeDomainConfiguration(domid, config);
  }

  // ---- info ----------------------------------------------------------------------------------

  /** `libxl_domain_info`: `XlError('DOMAIN_NOTFOUND')` for an unknown domid. */
  domainInfo(domid: number): LibxlDomainInfo {
    const info = existingDomain(this.hypervisor, domid);
    return { ...info, name: this.domidToName(domid) };
  }

  /** `libxl_list_domain` (Domain-0 first). */
  listDomains(): LibxlDomainInfo[] {
    this.xenstore.poll();
    let names: ReadonlyMap<number, string>;
    if (this.#names) {
      names = this.#names.domainNames();
    } else {
      this.#loadNames();
      names = this.#nameByDomid;
    }
    return this.hypervisor.listDomains().map((info) => ({ ...info, name: names.get(info.domid) }));
  }

  /**
   * `libxl_retrieve_domain_configuration`: the stored `libxl-json` config (with the generation
   * ID the domain has now). `XlError('DOMAIN_NOTFOUND')` for an unknown domain, `XlError('FAIL')`
   * when none is stored (Domain-0, or a domain libxl did not create).
   */
  retrieveDomainConfiguration(domid: number): DomainConfig {
    return retrieveDomainConfiguration(this, domid);
  }

  /** `libxl__set_domain_configuration`: replaces the stored config (e.g. after the ID changed). */
  storeDomainConfiguration(domid: number, config: DomainConfig): void {
    storeDomainConfiguration(this.userdata, domid, config);
  }

  // ---- generation ID -------------------------------------------------------------------------

  /** `libxl__ms_vm_genid_set` on this context: the xenstore key, and guest memory if param 34 is set. */
  msVmGenidSet(domid: number, genid: MsVmGenid): GenidSetResult {
    return msVmGenidSet({ xs: this.xs, xc: this.xc }, domid, genid);
  }

  /**
   * Gives a live HVM domain a new ID everywhere at once: the stored config, the xenstore key and
   * guest memory (when the firmware has placed the ID). The guest is not notified here: see
   * `raiseGpe` on the hypervisor.
   */
  applyGenid(domid: number, genid: MsVmGenid): GenidSetResult {
    return applyGenid(this, domid, genid);
  }

  /** Runs `body` as one transaction of the machine (the `atomically` option; default: just runs it). */
  atomically<T>(body: () => T): T {
    return this.#atomically(body);
  }

  /**
   * Raises ACPI GPE `gpe` in a running domain, with this context's guest model registered so the
   * guest handles it here (beyond Xen: see `renewVmGenid`).
   */
  raiseGpe(domid: number, gpe: number): void {
    this.#guest(domid, 'raise a GPE in');
    this.#registerGuestModel();
    try {
      this.hypervisor.raiseGpe(domid, gpe);
    } catch (error) {
      throw wrapFailure(`domain ${domid}: raising GPE ${gpe} failed`, error);
    }
  }

  /**
   * Tells the guest its ID changed (beyond Xen): the notify GPE now if it runs, else when it is
   * next unpaused.
   */
  notifyGenidChange(domid: number): 'delivered' | 'pending' {
    this.#registerGuestModel();
    return notifyGenidChange(this, domid);
  }

  // ---- create --------------------------------------------------------------------------------

  /**
   * `libxl_domain_create_new` (or `_restore` with `options.restore`): returns the new domid.
   * The config is copied, never changed; the stored copy gets a generated uuid when it had none.
   * A name in use is `XlError('INVAL')` (`Domain with name "x" already exists.`); any failure
   * destroys whatever was made.
   */
  createDomain(config: DomainConfig, options: CreateDomainOptions = {}): number {
    const saved = copyDomainConfig(validateDomainConfig(config));
    const values = this.#checkConfig(saved);
    if (saved.createInfo.uuid === NIL_UUID) saved.createInfo.uuid = generateUuid(this.random);
    const name = saved.createInfo.name!;
    if (name !== '' && this.#domidsNamed(name).length > 0) {
      throw new XlError('INVAL', `Domain with name "${name}" already exists.`);
    }

    let domid: number | undefined;
    try {
      domid = this.hypervisor.createDomain({
        type: saved.createInfo.type as 'hvm' | 'pv' | 'pvh',
        uuid: saved.createInfo.uuid,
        maxMemKb: Number(values.maxMemkb),
        vcpus: values.maxVcpus,
      }).domid;
    } catch (error) {
      throw wrapFailure('domain creation fail', error);
    }
    const made = domid;
    try {
      this.#makeDomain(made, saved);
      this.storeDomainConfiguration(made, saved);
      if (options.restore) {
        options.restore.load(made);
        this.hypervisor.setPendingStart(made, 'resume');
      }
      this.#buildPost(made, saved, values, options.restore !== undefined);
      if (!options.paused) this.#unpause(made);
      return made;
    } catch (error) {
      this.#destroyQuietly(made);
      throw wrapFailure(`domain ${made}: creation failed`, error);
    }
  }

  /** libxl's checks and defaults that matter here (`libxl__domain_config_setdefault`). */
  #checkConfig(config: DomainConfig): BuildValues {
    const type = config.createInfo.type;
    if (type === 'invalid') throw new XlError('INVAL', 'invalid domain type: c_info.type must be hvm, pv or pvh');
    if (config.buildInfo.u.type !== type) {
      throw new XlError('INVAL', `c_info.type (${type}) and b_info.type (${config.buildInfo.u.type}) differ`);
    }
    if (config.createInfo.name === undefined) throw new XlError('INVAL', 'New domain name not specified');
    if (config.createInfo.domid !== 0) {
      throw new XlError('INVAL', `a fixed domid (${config.createInfo.domid}) is not supported; leave c_info.domid at 0`);
    }
    const build = config.buildInfo;
    const maxVcpus = build.maxVcpus === 0 ? 1 : build.maxVcpus;
    if (maxVcpus < 1) throw new XlError('INVAL', `max_vcpus ${build.maxVcpus} is not a positive number`);
    const availVcpus = build.availVcpus.length > 0 ? build.availVcpus : Array.from({ length: maxVcpus }, (_, vcpu) => vcpu);
    if (availVcpus.some((vcpu) => vcpu >= maxVcpus)) {
      throw new XlError('INVAL', `avail_vcpus names a vcpu beyond max_vcpus (${maxVcpus})`);
    }
    const maxMemkb = build.maxMemkb === LIBXL_MEMKB_DEFAULT ? DEFAULT_MAX_MEMKB : build.maxMemkb;
    const targetMemkb = build.targetMemkb === LIBXL_MEMKB_DEFAULT ? maxMemkb : build.targetMemkb;
    if (maxMemkb === 0n || maxMemkb > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new XlError('INVAL', `max_memkb ${maxMemkb} is out of range`);
    }
    if (targetMemkb > maxMemkb) throw new XlError('INVAL', `target_memkb ${targetMemkb} is above max_memkb ${maxMemkb}`);
    const videoMemkb = build.videoMemkb !== LIBXL_MEMKB_DEFAULT ? build.videoMemkb : type === 'hvm' ? HVM_VIDEO_MEMKB : 0n;
    if (type === 'hvm' && targetMemkb <= videoMemkb) {
      throw new XlError('INVAL', `target_memkb ${targetMemkb} leaves no room beside ${videoMemkb} KiB of video memory`);
    }
    return { maxVcpus, availVcpus, maxMemkb, targetMemkb, videoMemkb };
  }

  /** `libxl__domain_make`'s xenstore transaction. */
  #makeDomain(domid: number, config: DomainConfig): void {
    const name = config.createInfo.name!;
    this.xs.transaction((transaction) => {
      if (name !== '') {
        const others = this.#domidsNamed(name).filter((other) => other !== domid);
        if (others.length > 0) throw new XlError('INVAL', `Domain with name "${name}" already exists.`);
      }
      writeDomainSkeleton(transaction, domid, config);
    }, UNTIL_COMMITTED);
    writeLibxlEntry(this.xs, domid, config);
  }

  /** `libxl__build_post`: the generation ID first, then the remaining entries, then introduce. */
  #buildPost(domid: number, config: DomainConfig, values: BuildValues, restored = false): void {
    const genid = genidOfConfig(config);
    if (config.buildInfo.u.type === 'hvm' && !genid.isZero()) {
      this.msVmGenidSet(domid, genid);
    }
    const startTime = this.#now();
    this.xs.transaction((transaction) => writeBuildPostEntries(transaction, domid, config, values, startTime, restored), UNTIL_COMMITTED);
    if (!this.xs.isDomainIntroduced(domid)) this.xs.introduceDomain(domid);
  }

  #registerGuestModel(): void {
    if (this.#guestModel) this.hypervisor.setGuestModel(this.#guestModel);
  }

  #unpause(domid: number): void {
    this.#registerGuestModel();
    this.hypervisor.unpauseDomain(domid);
  }

  // ---- destroy -------------------------------------------------------------------------------

  /**
   * `libxl_domain_destroy`: removes `/vm/<uuid>`, `/local/domain/<domid>` and `/libxl/<domid>`,
   * the userdata, then the hypervisor domain; xenstored fires `@releaseDomain`.
   */
  destroyDomain(domid: number): void {
    if (domid === 0) throw new XlError('INVAL', 'Domain-0 cannot be destroyed');
    this.domainInfo(domid);
    try {
      this.#removeDomainEntries(domid);
      this.userdata.destroyAll(domid);
      this.hypervisor.destroyDomain(domid);
    } catch (error) {
      throw wrapFailure(`domain ${domid}: destroy failed`, error);
    }
    this.#release(domid);
  }

  #removeDomainEntries(domid: number): void {
    const uuid = this.hypervisor.getDomain(domid)?.uuid;
    const vmShared = uuid !== undefined && this.hypervisor.listDomains().some((other) => other.domid !== domid && other.uuid === uuid);
    this.xs.transaction((transaction) => removeDomainEntries(transaction, domid, vmShared), UNTIL_COMMITTED);
  }

  #release(domid: number): void {
    try {
      if (this.xs.isDomainIntroduced(domid)) this.xs.releaseDomain(domid);
    } catch {
      // Nothing to release.
    }
    this.#refreshName(domid);
  }

  /** Best-effort removal of a half-made domain: every step runs even if an earlier one fails. */
  #destroyQuietly(domid: number): void {
    const steps = [
      () => this.#removeDomainEntries(domid),
      () => this.userdata.destroyAll(domid),
      () => {
        if (this.hypervisor.getDomain(domid)) this.hypervisor.destroyDomain(domid);
      },
      () => this.#release(domid),
    ];
    for (const step of steps) {
      try {
        step();
      } catch {
        // Keep cleaning.
      }
    }
  }

  // ---- run state -----------------------------------------------------------------------------

  /** `libxl_domain_pause`. */
  pauseDomain(domid: number): void {
    this.#guest(domid, 'pause');
    try {
      this.hypervisor.pauseDomain(domid);
    } catch (error) {
      throw wrapFailure(`domain ${domid}: pause failed`, error);
    }
  }

  /** `libxl_domain_unpause`: a new domain's firmware runs now; a restored guest resumes. */
  unpauseDomain(domid: number): void {
    const info = this.#guest(domid, 'unpause');
    if (!info.paused) throw new XlError('INVAL', `domain ${domid} is not paused`);
    try {
      this.#unpause(domid);
    } catch (error) {
      throw wrapFailure(`domain ${domid}: unpause failed`, error);
    }
    this.#registerGuestModel();
    deliverPendingGenidNotify(this, domid);
  }

  #guest(domid: number, what: string): DomainInfo {
    if (domid === 0) throw new XlError('INVAL', `cannot ${what} Domain-0`);
    return this.domainInfo(domid);
  }

  /**
   * The guest shuts down with `reason` (`libxl_domain_shutdown` / `libxl_domain_reboot` write
   * `control/shutdown` and the guest acts on it), then the config's action for that reason is
   * applied as xl's event loop does: `destroy`, `restart` (a reboot: the firmware runs again and
   * places the same ID), or the domain is left shut down (`preserve` and the rest).
   */
  shutdownDomain(domid: number, reason: ShutdownReason = 'poweroff'): ShutdownOutcome {
    this.#guest(domid, 'shut down');
    const config = this.retrieveDomainConfiguration(domid);
    try {
      this.xs.write(`${domainPath(domid)}/control/shutdown`, reason === 'reboot' ? 'reboot' : 'poweroff');
      this.hypervisor.shutdownDomain(domid, reason);
    } catch (error) {
      throw wrapFailure(`domain ${domid}: shutdown failed`, error);
    }
    const action = actionFor(config, reason);
    if (action === 'destroy' || action === 'coredump_destroy') {
      this.destroyDomain(domid);
      return { reason, action, destroyed: true };
    }
    if (action === 'restart' || action === 'restart_rename' || action === 'coredump_restart') {
      this.#restart(domid, config);
      return { reason, action, destroyed: false };
    }
    return { reason, action, destroyed: false };
  }

  /** `libxl_domain_reboot`: the guest reboots; with `on_reboot = "restart"` it boots again. */
  rebootDomain(domid: number): ShutdownOutcome {
    return this.shutdownDomain(domid, 'reboot');
  }

  /**
   * A restart from the stored config (xl's `reload_domain_config` keeps the stored ID): the domain
   * is reset to power-on state, `libxl__build_post` runs again (so the ID is in xenstore before the
   * firmware reads it), then it is unpaused and the firmware places the same ID.
   */
  #restart(domid: number, config: DomainConfig): void {
    // The policy's reboot row (keep, for both generate and explicit IDs).
    const decision = decideGenid({
      operation: 'reboot',
      mode: genidModeOfConfig(config),
      current: genidOfConfig(config),
      random: this.random,
    });
    if (decision.changed) {
      setGenidOfConfig(config, decision.genid);
      this.storeDomainConfiguration(domid, config);
    }
    try {
      this.hypervisor.resetDomain(domid);
      this.xs.write(`${domainPath(domid)}/control/shutdown`, '');
      this.#buildPost(domid, config, this.#checkConfig(config));
      this.#unpause(domid);
    } catch (error) {
      throw wrapFailure(`domain ${domid}: restart failed`, error);
    }
  }

  /** Closes the xenstore connection (the hypervisor, store and userdata belong to the caller). */
  close(): void {
    if (!this.xs.closed) this.xs.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function actionFor(config: DomainConfig, reason: ShutdownReason): ActionOnShutdown {
  switch (reason) {
    case 'poweroff':
      return config.onPoweroff;
    case 'reboot':
      return config.onReboot;
    case 'crash':
      return config.onCrash;
    case 'watchdog':
      return config.onWatchdog;
    case 'soft_reset':
      return config.onSoftReset;
    case 'suspend':
      return 'preserve';
  }
}

/** `libxl_ctx_alloc`: a context over the given machine. */
export function createLibxl(options: LibxlOptions): Libxl {
  return new Libxl(options);
}
