/**
 * The machine an `xl` process acts on: xl's global `libxl_ctx` (`xl.c` main, `libxl_ctx_alloc`).
 * A context may carry its own parts (`CommandContext.toolstack`: in-memory ones in tests, which stay
 * open across commands); otherwise the persistent host file is opened, `$XEN_GENID_HOST` or the XDG
 * state default as `@xen-genid/host`'s resolver decides, with qemu-dm's device models. Loaded only by the commands that need a
 * machine, so `xl help` and the dry runs never open SQLite.
 */
import { domainPath, physinfo, type DomainInfo, type Physinfo } from '@xen-genid/xc-params';
import type { Libxl, LibxlOptions } from '@xen-genid/xl-lib';
import type { CrashPoint, Host } from '@xen-genid/host';
import { domidFromDigits } from './domid-text.ts';
import type { CommandContext, ToolstackParts } from '../command-context.ts';

/** Parts and a way to release what opening them took; `hostPath` for a host file's. */
interface OpenedParts extends ToolstackParts {
  readonly hostPath?: string;
  /** A host file's device models (qemu-dm's). */
  readonly deviceModels?: Pick<LibxlOptions, 'deviceModel' | 'consoles'>;
  close(): void;
}

/**
 * The context's own parts, or the host file's with qemu-dm's device models attached: a domain whose
 * config has a `kernel` runs it under QEMU, as libxl spawns qemu-xen, and what a killed `xl` left of
 * a device model is finished or undone first. With `runGuests`, the host is opened with their guest
 * model bound (for a libxl context); a listing opens it without, and attaches the device models
 * once the host's own recovery is done, only when some domain of the host has device model files
 * (a listing reads the hypervisor's domains, which device models do not change, so without any
 * there is nothing to finish or undo, and qemu-dm is not loaded).
 */
async function openParts(context: CommandContext, options: { readonly runGuests: boolean }): Promise<OpenedParts> {
  if (context.toolstack) return { ...context.toolstack, close: () => undefined };
  const { defaultHostPath, openHost } = await import('@xen-genid/host');
  const path = defaultHostPath(context.env);
  if (!options.runGuests) {
    const host = openHost(path);
    try {
      const { defaultRunDir, deviceModelDomids, hostIdentity } = await import('@xen-genid/qemu-dm/run-dir');
      if (deviceModelDomids(defaultRunDir(), hostIdentity(host.path)).size > 0) {
        const { attachDeviceModels } = await import('@xen-genid/qemu-dm');
        attachDeviceModels({ hypervisor: host.hypervisor, store: host.store, userdata: host.userdata, hostPath: host.path });
      }
      return hostParts(host);
    } catch (error) {
      host.close();
      throw error;
    }
  }
  const { attachDeviceModels } = await import('@xen-genid/qemu-dm');
  let attached: ReturnType<typeof attachDeviceModels> | undefined;
  // Made once: when the host's recovery first runs a guest, or right after the host is open.
  const attach = (machine: Pick<ToolstackParts, 'hypervisor' | 'xenstore' | 'userdata'>) =>
    (attached ??= attachDeviceModels({ hypervisor: machine.hypervisor, store: machine.xenstore, userdata: machine.userdata, hostPath: path }));
  const host = openHost(path, { guestModel: (machine) => attach(machine).guestModel });
  const devices = attach({ hypervisor: host.hypervisor, xenstore: host.store, userdata: host.userdata });
  return { ...hostParts(host), hypervisor: devices.hypervisor, deviceModels: { deviceModel: devices.deviceModel, consoles: devices.consoles } };
}

/** A host file's own parts, closed with it. */
function hostParts(host: Host): OpenedParts {
  return {
    hypervisor: host.hypervisor,
    xenstore: host.store,
    userdata: host.userdata,
    names: host.xenstoreBackend,
    domainTable: (layout) => host.domainTable(layout),
    vmTable: () => host.vmTable(),
    atomically: (body) => host.atomically(body),
    crashPoint: (step) => host.crashPoint(step),
    hostPath: host.path,
    close: () => host.close(),
  };
}

/**
 * Runs `body` with a libxl context open, closing it (and the host file) afterwards whatever
 * happens. A host file's device models (`openParts`) save and restore their domains' device state
 * with them, and a real guest's serial port is its console.
 */
export async function withToolstack<T>(
  context: CommandContext,
  body: (toolstack: { readonly libxl: Libxl; readonly crashPoint: (step: CrashPoint) => void }) => T | Promise<T>,
): Promise<T> {
  const parts = await openParts(context, { runGuests: true });
  try {
    const { createLibxl } = await import('@xen-genid/xl-lib');
    const libxl = createLibxl({
      hypervisor: parts.hypervisor,
      ...parts.deviceModels,
      xenstore: parts.xenstore,
      userdata: parts.userdata,
      ...(parts.names ? { names: parts.names } : {}),
      ...(parts.atomically ? { atomically: parts.atomically } : {}),
      ...(context.random ? { random: context.random } : {}),
      ...(context.now ? { now: context.now } : {}),
    });
    try {
      return await body({ libxl, crashPoint: parts.crashPoint ?? (() => undefined) });
    } finally {
      libxl.close();
    }
  } finally {
    parts.close();
  }
}

/** The domains as `xl list` shows them: the hypervisor's view and the names in xenstore. */
export interface HostListing {
  /** By domid, Domain-0 first. */
  readonly domains: readonly DomainInfo[];
  /** `names[i]` is `domains[i]`'s name (`/local/domain/<domid>/name`; Domain-0's until it is written). */
  readonly names: readonly (string | undefined)[];
  /** The cpupool's name (`/local/pool/<id>/name`; every domain is in pool 0, `Pool-0`). */
  readonly cpupoolName: string;
  /** Every domain's line as UTF-8, made by the host (`table` of `listHostDomains`), in place of `domains` and `names`. */
  readonly table?: Uint8Array;
}

/** `xl info`'s `xc_physinfo`: the machine's, with the memory the host's domains hold now. */
export async function hostPhysinfo(context: CommandContext): Promise<Physinfo> {
  const parts = await openParts(context, { runGuests: false });
  try {
    return physinfo(parts.hypervisor);
  } finally {
    parts.close();
  }
}

/**
 * The domains with their names, read straight from the hypervisor and the names (no libxl context:
 * listing itself writes nothing; on a host file, what a killed `xl` left of a device model is
 * finished or undone first, as by every command). With `qualifier` (a domid, or a name: xl's
 * `find_domain`), only that domain, or none. The names are beside the domains, not copied with
 * each into a new object: at 10,000 domains the copies cost a listing a fifth of its time. With
 * `table`, every domain's lines as the parts make them in one query where they can (a host file's
 * `domainTable` and `vmTable`), in place of the domains and names.
 */
export async function listHostDomains(
  context: CommandContext,
  qualifier?: string,
  table?: (parts: ToolstackParts, cpupoolName: string) => Uint8Array | undefined,
): Promise<HostListing> {
  const parts = await openParts(context, { runGuests: false });
  const xs = parts.xenstore.connect(0);
  const nameOf = (domid: number): string | undefined =>
    xs.tryReadString(`${domainPath(domid)}/name`) ?? (domid === 0 ? 'Domain-0' : undefined);
  // xen-init-dom0 names Domain-0 and each cpupool at boot; a host that has not written them yet reads so.
  const cpupoolName = xs.tryReadString('/local/pool/0/name') ?? 'Pool-0';
  const one = (info: DomainInfo | undefined, name?: string): HostListing =>
    info === undefined ? { domains: [], names: [], cpupoolName } : { domains: [info], names: [name ?? nameOf(info.domid)], cpupoolName };
  try {
    const made = qualifier === undefined ? table?.(parts, cpupoolName) : undefined;
    if (made !== undefined) return { domains: [], names: [], cpupoolName, table: made };
    if (qualifier === undefined) {
      const domains = parts.hypervisor.listDomains();
      const index = parts.names?.domainNames();
      const names = domains.map((info) => (index ? (index.get(info.domid) ?? (info.domid === 0 ? 'Domain-0' : undefined)) : nameOf(info.domid)));
      return { domains, names, cpupoolName };
    }
    if (!/^[0-9]*$/.test(qualifier)) {
      // One domain by name: the name index where there is one, not every domain.
      const candidates = parts.names
        ? parts.names.domidsNamed(qualifier)
        : parts.hypervisor.listDomains().filter((info) => nameOf(info.domid) === qualifier).map((info) => info.domid);
      const domid = candidates.sort((a, b) => a - b).find((candidate) => parts.hypervisor.getDomain(candidate));
      return one(domid === undefined ? undefined : parts.hypervisor.getDomain(domid), qualifier);
    }
    const domid = domidFromDigits(qualifier);
    return one(domid <= 0xffff ? parts.hypervisor.getDomain(domid) : undefined);
  } finally {
    xs.close();
    parts.close();
  }
}
