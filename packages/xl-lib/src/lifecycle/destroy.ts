/**
 * Domain destruction (`libxl_domain_destroy`, `tools/libs/light/libxl_domain.c`: the destroy path
 * to devices_destroy_cb): the domain's xenstore entries, its userdata, then the hypervisor domain;
 * xenstored fires `@releaseDomain`.
 */
import { XlError, wrapFailure } from '../errors.ts';
import { existingDomain } from '../stored-config.ts';
import { UNTIL_COMMITTED, type LibxlInternals } from './internal.ts';
import { removeDeviceNodes } from './devices.ts';
import { removeDeviceModelEntries, removeDomainEntries } from './xenstore-layout.ts';

/**
 * `libxl_domain_destroy`: removes the device model's directory, the devices (their backends too), `/vm/<uuid>`, `/local/domain/<domid>` and `/libxl/<domid>`,
 * the userdata, then the hypervisor domain.
 */
export function destroyDomain(ctx: LibxlInternals, domid: number): void {
  if (domid === 0) throw new XlError('INVAL', 'Domain-0 cannot be destroyed');
  existingDomain(ctx.hypervisor, domid);
  try {
    removeEntries(ctx, domid);
    ctx.userdata.destroyAll(domid);
    ctx.hypervisor.destroyDomain(domid);
  } catch (error) {
    throw wrapFailure(`domain ${domid}: destroy failed`, error);
  }
  release(ctx, domid);
}

/** The domain's devices and xenstore entries in one transaction; `/vm/<uuid>` stays while another domain runs the same VM. */
function removeEntries(ctx: LibxlInternals, domid: number): void {
  const uuid = ctx.hypervisor.getDomain(domid)?.uuid;
  const withUuid =
    uuid === undefined
      ? []
      : (ctx.hypervisor.domainsWithUuid?.(uuid) ?? ctx.hypervisor.listDomains().filter((other) => other.uuid === uuid).map((other) => other.domid));
  const vmShared = withUuid.some((other) => other !== domid);
  ctx.xs.transaction((transaction) => {
    removeDeviceModelEntries(transaction, domid);
    removeDeviceNodes(transaction, domid);
    removeDomainEntries(transaction, domid, vmShared);
  }, UNTIL_COMMITTED);
}

function release(ctx: LibxlInternals, domid: number): void {
  try {
    if (ctx.xs.isDomainIntroduced(domid)) ctx.xs.releaseDomain(domid);
  } catch {
    // Nothing to release.
  }
  ctx.names.refresh(domid);
}

/** Best-effort removal of a half-made domain: every step runs even if an earlier one fails. */
export function destroyQuietly(ctx: LibxlInternals, domid: number): void {
  const steps = [
    () => removeEntries(ctx, domid),
    () => ctx.userdata.destroyAll(domid),
    () => {
      if (ctx.hypervisor.getDomain(domid)) ctx.hypervisor.destroyDomain(domid);
    },
    () => release(ctx, domid),
  ];
  for (const step of steps) {
    try {
      step();
    } catch {
      // Keep cleaning.
    }
  }
}
