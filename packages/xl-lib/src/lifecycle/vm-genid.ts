/**
 * The generation ID of a running domain, beyond Xen: ask what the domain's ID is in each place it
 * lives, and give it a new one (random, or a value the caller names) while it runs, then tell the
 * guest with an ACPI notify.
 *
 * Xen has neither: libxl sets the ID only for new or restored domains (`libxl__ms_vm_genid_set`,
 * `tools/libs/light/libxl_genid.c`) and never raises an event, and there is no call that reads it
 * back. The model is QEMU's (`hw/acpi/vmgenid.c`): `query-vm-generation-id` reports the ID, and a
 * change writes the guest buffer then raises the GPE whose handler does `Notify(VGID, 0x80)`.
 * Here the GPE is the one our firmware's notify SSDT handles (`GENID_NOTIFY_GPE` of hvmloader-sim);
 * which ID a domain gets is the lifecycle policy's decision (`vm-genid-new`, `vm-genid-set`).
 */
import {
  HVM_PARAM_VM_GENERATION_ID_ADDR,
  PLATFORM_GENERATION_ID_KEY,
  domainPath,
} from '@xen-genid/xc-params';
import { GENID_NOTIFY_GPE, readGuestRecord, type GuestRecord } from '@xen-genid/hvmloader-sim/guest-model';
import { XlError, wrapFailure } from '../errors.ts';
import { decideGenid, genidModeOfConfig, genidOfConfig, type GenidDecision } from '../policy/lifecycle-policy.ts';
import { MsVmGenid } from '../types/ms-vm-genid.ts';
import type { Libxl } from './libxl.ts';

/**
 * The userdata key (`libxl_userdata_store`) that marks a notify due when a paused domain is next
 * unpaused.
 */
export const USERDATA_GENID_NOTIFY = 'genid-notify';

/** The views of a domain's ID that `queryVmGenid` reports, by name. */
export type VmGenidViewName = 'config' | 'xenstore' | 'guest';

export interface VmGenidViews {
  readonly domid: number;
  /** libxl's stored config (`libxl_retrieve_domain_configuration`); null when it holds none (all-zero, PV, PVH). */
  readonly config: MsVmGenid | null;
  /** `/local/domain/<domid>/platform/generation-id` as stored; null when the key is absent. */
  readonly xenstoreText: string | null;
  /** That text as an ID (hvmloader's `lo:hi` decimal form); null when absent or not in that form. */
  readonly xenstore: MsVmGenid | null;
  /** The 16 bytes in guest memory at HVM param 34's address; null when param 34 is 0. */
  readonly memory: MsVmGenid | null;
  /** HVM param 34: where the firmware placed the ID (0 when it placed none, or has not run). */
  readonly address: bigint;
  /** What the guest last read through ACPI (its record's ID); null when it has read none. */
  readonly guest: MsVmGenid | null;
  /** How many ACPI notifies of the ID's device the guest has received (those kept in its record). */
  readonly notifications: number;
  /** The guest's whole record, or null when the guest model has not run since power-on. */
  readonly guestRecord: GuestRecord | null;
  /** True when a notify waits for the domain to be unpaused. */
  readonly notifyPending: boolean;
}

/** One disagreement between two present views. */
export interface VmGenidDisagreement {
  readonly first: VmGenidViewName;
  readonly second: VmGenidViewName;
}

/** What `renewVmGenid` did. */
export interface VmGenidRenewal {
  readonly domid: number;
  readonly previous: MsVmGenid;
  readonly genid: MsVmGenid;
  readonly decision: GenidDecision;
  /**
   * The ACPI notify: `delivered` (the GPE was raised in the running guest), `pending` (the domain
   * is paused: raised when it is unpaused), or `none` (the ID did not change on `--set`).
   */
  readonly notify: 'delivered' | 'pending' | 'none';
}

/** What a renewal asks for: a new random ID, or the given one. */
export type VmGenidRequest = { readonly kind: 'new' } | { readonly kind: 'set'; readonly genid: MsVmGenid };

function notifyPending(libxl: Libxl, domid: number): boolean {
  const data = libxl.userdata.retrieve(domid, USERDATA_GENID_NOTIFY);
  return data !== undefined && data.length > 0;
}

/** Notifies of the ID's device counted from the guest's kept events. */
function countNotifications(record: GuestRecord | null): number {
  if (!record) return 0;
  let count = 0;
  for (const event of record.events) {
    for (const notification of event.notifications) {
      if (record.path === null || notification.path === record.path) count += 1;
    }
  }
  return count;
}

/**
 * Every view of `domid`'s ID, read without changing anything (no notify, no write): the stored
 * config, the xenstore key, the guest memory at param 34, and the guest's own last reading.
 * `XlError('DOMAIN_NOTFOUND')` for an unknown domain.
 */
export function queryVmGenid(libxl: Libxl, domid: number): VmGenidViews {
  libxl.domainInfo(domid);
  let config: MsVmGenid | null = null;
  try {
    const genid = genidOfConfig(libxl.retrieveDomainConfiguration(domid));
    config = genid.isZero() ? null : genid;
  } catch (error) {
    if (!XlError.is(error)) throw error;
  }
  const raw = libxl.xs.tryRead(`${domainPath(domid)}/${PLATFORM_GENERATION_ID_KEY}`);
  const xenstoreText = raw === undefined ? null : new TextDecoder().decode(raw);
  let xenstore: MsVmGenid | null = null;
  if (xenstoreText !== null) {
    try {
      xenstore = MsVmGenid.fromXenstore(xenstoreText);
    } catch (error) {
      if (!XlError.is(error)) throw error;
    }
  }
  let address = 0n;
  let memory: MsVmGenid | null = null;
  const info = libxl.hypervisor.getDomain(domid);
  if (info && info.type !== 'pv') {
    address = libxl.xc.tryHvmParamGet(domid, HVM_PARAM_VM_GENERATION_ID_ADDR).value;
    if (address !== 0n) {
      try {
        using mapping = libxl.xc.mapForeignRange(domid, Number(address >> 12n), 1);
        const offset = Number(address & 0xfffn);
        if (offset + 16 <= mapping.bytes.length) memory = MsVmGenid.fromBytes(mapping.bytes.subarray(offset, offset + 16));
      } catch (error) {
        throw wrapFailure(`domain ${domid}: failed to map the generation ID page`, error);
      }
    }
  }
  let guestRecord: GuestRecord | null;
  try {
    guestRecord = readGuestRecord(libxl.hypervisor, domid);
  } catch {
    guestRecord = null; // a record that is not ours: the guest's view is unknown
  }
  const guest = guestRecord?.genid ? MsVmGenid.fromHex(guestRecord.genid) : null;
  return {
    domid,
    config,
    xenstoreText,
    xenstore,
    memory,
    address,
    guest,
    notifications: countNotifications(guestRecord),
    guestRecord,
    notifyPending: notifyPending(libxl, domid),
  };
}

/** The pairs of present views (config, xenstore, guest) that hold different IDs. */
export function vmGenidDisagreements(views: VmGenidViews): VmGenidDisagreement[] {
  const present: [VmGenidViewName, MsVmGenid][] = [];
  if (views.config) present.push(['config', views.config]);
  if (views.xenstore) present.push(['xenstore', views.xenstore]);
  if (views.guest) present.push(['guest', views.guest]);
  const found: VmGenidDisagreement[] = [];
  for (let index = 0; index < present.length; index += 1) {
    for (let other = index + 1; other < present.length; other += 1) {
      if (!present[index]![1].equals(present[other]![1])) found.push({ first: present[index]![0], second: present[other]![0] });
    }
  }
  return found;
}

/**
 * Tells the guest of `domid` that its ID changed: raises the notify GPE if the domain runs, or
 * leaves the notify pending until `Libxl.unpauseDomain` runs it.
 */
export function notifyGenidChange(libxl: Libxl, domid: number): 'delivered' | 'pending' {
  const info = libxl.domainInfo(domid);
  if (info.paused || info.shutdown !== null) {
    libxl.userdata.store(domid, USERDATA_GENID_NOTIFY, Uint8Array.of(0x31));
    return 'pending';
  }
  libxl.raiseGpe(domid, GENID_NOTIFY_GPE);
  return 'delivered';
}

/** Raises a notify left pending while the domain was paused (called after an unpause). */
export function deliverPendingGenidNotify(libxl: Libxl, domid: number): boolean {
  if (!notifyPending(libxl, domid)) return false;
  libxl.userdata.unlink(domid, USERDATA_GENID_NOTIFY);
  const info = libxl.hypervisor.getDomain(domid);
  if (!info || info.paused || info.shutdown !== null) return false;
  libxl.raiseGpe(domid, GENID_NOTIFY_GPE);
  return true;
}

/**
 * `xl vm-genid --new` / `--set`: the policy's ID for a running HVM domain, written everywhere at
 * once (stored config, xenstore, guest memory at param 34) then notified to the guest. Setting the
 * ID it already has writes nothing and sends no notify. `XlError('INVAL')` for a domain without
 * an ID (`ms_vm_genid = "none"`, PV, PVH) or an all-zero requested ID.
 */
export function renewVmGenid(libxl: Libxl, domid: number, request: VmGenidRequest): VmGenidRenewal {
  if (domid === 0) throw new XlError('INVAL', 'Domain-0 has no VM generation ID');
  libxl.domainInfo(domid);
  const config = libxl.retrieveDomainConfiguration(domid);
  const previous = genidOfConfig(config);
  const decision = decideGenid({
    operation: request.kind === 'new' ? 'vm-genid-new' : 'vm-genid-set',
    mode: genidModeOfConfig(config),
    current: previous,
    ...(request.kind === 'set' ? { requested: request.genid } : {}),
    random: libxl.random,
  });
  if (decision.changed) libxl.applyGenid(domid, decision.genid);
  const notify = decision.notify ? notifyGenidChange(libxl, domid) : 'none';
  return { domid, previous, genid: decision.genid, decision, notify };
}
