/**
 * The ACPI notify that tells a running guest its ID changed (beyond Xen, which never raises an
 * event: `libxl__ms_vm_genid_set` only runs for new or suspended domains). As QEMU's
 * `hw/acpi/vmgenid.c` does, the toolstack raises the GPE whose handler does `Notify(VGID, 0x80)`:
 * here the one our firmware's notify SSDT handles (`GENID_NOTIFY_GPE` of xc-params' contract). A domain
 * that is paused or shut down gets it when it is next unpaused.
 */
import { GENID_NOTIFY_GPE, type Hypervisor } from '@xen-genid/xc-params';
import { XlError, wrapFailure } from '../errors.ts';
import { existingDomain } from '../stored-config.ts';
import type { UserdataStore } from '../userdata.ts';

/**
 * The userdata key (`libxl_userdata_store`) that marks a notify due when a paused domain is next
 * unpaused.
 */
export const USERDATA_GENID_NOTIFY = 'genid-notify';

/** True when a notify waits for `domid` to be unpaused. */
export function notifyPending(userdata: UserdataStore, domid: number): boolean {
  const data = userdata.retrieve(domid, USERDATA_GENID_NOTIFY);
  return data !== undefined && data.length > 0;
}

function raiseNotify(hypervisor: Hypervisor, domid: number): void {
  if (domid === 0) throw new XlError('INVAL', 'cannot raise a GPE in Domain-0');
  try {
    hypervisor.raiseGpe(domid, GENID_NOTIFY_GPE);
  } catch (error) {
    throw wrapFailure(`domain ${domid}: raising GPE ${GENID_NOTIFY_GPE} failed`, error);
  }
}

/**
 * Tells the guest of `domid` that its ID changed: raises the notify GPE if the domain runs, or
 * leaves the notify pending until `deliverPendingGenidNotify` runs after its unpause.
 */
export function notifyGenidChange(
  port: { readonly hypervisor: Hypervisor; readonly userdata: UserdataStore },
  domid: number,
): 'delivered' | 'pending' {
  const info = existingDomain(port.hypervisor, domid);
  if (info.paused || info.shutdown !== null) {
    port.userdata.store(domid, USERDATA_GENID_NOTIFY, Uint8Array.of(0x31));
    return 'pending';
  }
  raiseNotify(port.hypervisor, domid);
  return 'delivered';
}

/** Raises a notify left pending while the domain was paused (called after an unpause). */
export function deliverPendingGenidNotify(
  port: { readonly hypervisor: Hypervisor; readonly userdata: UserdataStore },
  domid: number,
): boolean {
  if (!notifyPending(port.userdata, domid)) return false;
  port.userdata.unlink(domid, USERDATA_GENID_NOTIFY);
  const info = port.hypervisor.getDomain(domid);
  if (!info || info.paused || info.shutdown !== null) return false;
  raiseNotify(port.hypervisor, domid);
  return true;
}
