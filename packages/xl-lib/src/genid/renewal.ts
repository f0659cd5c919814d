/**
 * Renewal of a running domain's generation ID, beyond Xen (`xl vm-genid --new` / `--set`): which ID
 * it gets is the lifecycle policy's decision (`vm-genid-new`, `vm-genid-set`); the ID is written
 * everywhere at once with `libxl__ms_vm_genid_set` (`tools/libs/light/libxl_genid.c`) and stored
 * in the domain's config, then the guest is notified (`./notify.ts`), as QEMU's `hw/acpi/vmgenid.c`
 * does on `set-vm-generation-id`.
 */
import { XlError } from '../errors.ts';
import { existingDomain, getDomainConfiguration, storeDomainConfiguration } from '../stored-config.ts';
import { msVmGenidSet, type GenidSetResult } from './genid-set.ts';
import { appendGenidHistory, lifecycleEntry } from './history.ts';
import { decideGenid, genidModeOfConfig, genidOfConfig, setGenidOfConfig, type GenidDecision } from './lifecycle-policy.ts';
import type { MsVmGenid } from './ms-vm-genid.ts';
import { notifyGenidChange } from './notify.ts';
import type { GenidPort } from './port.ts';

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

/**
 * Gives a live HVM domain a new ID everywhere at once: the stored config, the xenstore key and
 * guest memory (when the firmware has placed the ID). The guest is not notified here.
 * `XlError('INVAL')` for a domain that is not an HVM guest.
 */
export function applyGenid(port: GenidPort, domid: number, genid: MsVmGenid): GenidSetResult {
  const config = getDomainConfiguration(port, domid);
  if (config.buildInfo.u.type !== 'hvm') {
    throw new XlError('INVAL', `domain ${domid} is not an HVM guest: it has no VM generation ID`);
  }
  setGenidOfConfig(config, genid);
  const change = (): GenidSetResult => {
    const result = msVmGenidSet(port, domid, genid);
    storeDomainConfiguration(port.userdata, domid, config);
    return result;
  };
  // The stored config, xenstore and guest memory change together or not at all.
  return port.atomically ? port.atomically(change) : change();
}

/**
 * `xl vm-genid --new` / `--set`: the policy's ID for a running HVM domain, written everywhere at
 * once (stored config, xenstore, guest memory at param 34) then notified to the guest. Setting the
 * ID it already has writes nothing and sends no notify. `XlError('INVAL')` for a domain without
 * an ID (`ms_vm_genid = "none"`, PV, PVH) or an all-zero requested ID.
 */
export function renewVmGenid(port: GenidPort, domid: number, request: VmGenidRequest): VmGenidRenewal {
  if (domid === 0) throw new XlError('INVAL', 'Domain-0 has no VM generation ID');
  existingDomain(port.hypervisor, domid);
  const config = getDomainConfiguration(port, domid);
  const previous = genidOfConfig(config);
  const decision = decideGenid({
    operation: request.kind === 'new' ? 'vm-genid-new' : 'vm-genid-set',
    mode: genidModeOfConfig(config),
    current: previous,
    ...(request.kind === 'set' ? { requested: request.genid } : {}),
    ...(port.random ? { random: port.random } : {}),
  });
  if (decision.changed) {
    applyGenid(port, domid, decision.genid);
    appendGenidHistory(port, domid, previous, [lifecycleEntry('renewed', decision)]);
  }
  const notify = decision.notify ? notifyGenidChange(port, domid) : 'none';
  return { domid, previous, genid: decision.genid, decision, notify };
}
