/**
 * The generation ID of a domain as each party holds it, beyond Xen: libxl's stored config, the
 * xenstore key, guest memory at HVM param 34 and the guest's own last reading through ACPI, read
 * without changing anything.
 *
 * Xen has no call that reads the ID back (libxl only sets it, `libxl__ms_vm_genid_set`,
 * `tools/libs/light/libxl_genid.c`); the model is QEMU's `query-vm-generation-id`
 * (`hw/acpi/vmgenid.c`), which reports the device's view only.
 */
import { HVM_PARAM_VM_GENERATION_ID_ADDR, addressToPfn, pageOffset } from '@xen-genid/xc-params';
import { readGuestRecord, type GuestRecord } from '@xen-genid/hvmloader-sim/guest';
import { XlError, wrapFailure } from '../errors.ts';
import { existingDomain, getDomainConfiguration } from '../stored-config.ts';
import { generationIdPath } from './genid-set.ts';
import { genidOfConfig } from './lifecycle-policy.ts';
import { MsVmGenid } from './ms-vm-genid.ts';
import { LIBXL_MS_VM_GENID_LEN } from './text-forms.ts';
import { notifyPending } from './notify.ts';
import type { GenidPort } from './port.ts';

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
export function queryVmGenid(port: GenidPort, domid: number): VmGenidViews {
  const info = existingDomain(port.hypervisor, domid);
  let config: MsVmGenid | null = null;
  try {
    const genid = genidOfConfig(getDomainConfiguration(port, domid));
    config = genid.isZero() ? null : genid;
  } catch (error) {
    if (!XlError.is(error)) throw error;
  }
  const raw = port.xs.tryRead(generationIdPath(domid));
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
  if (info.type !== 'pv') {
    address = port.xc.tryHvmParamGet(domid, HVM_PARAM_VM_GENERATION_ID_ADDR).value;
    if (address !== 0n) {
      try {
        using mapping = port.xc.mapForeignRange(domid, addressToPfn(address), 1);
        const offset = pageOffset(address);
        const end = offset + LIBXL_MS_VM_GENID_LEN;
        if (end <= mapping.bytes.length) memory = MsVmGenid.fromBytes(mapping.bytes.subarray(offset, end));
      } catch (error) {
        throw wrapFailure(`domain ${domid}: failed to map the generation ID page`, error);
      }
    }
  }
  let guestRecord: GuestRecord | null;
  try {
    guestRecord = readGuestRecord(port.hypervisor, domid);
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
    notifyPending: notifyPending(port.userdata, domid),
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

