/**
 * The machine an `xl` process acts on: xl's global `libxl_ctx` (`xl.c` main, `libxl_ctx_alloc`)
 * over the persistent host file. The host file is `$XEN_GENID_HOST`, else the XDG state default,
 * as `@xen-genid/host`'s resolver decides. Loaded only by the commands that need a host, so
 * `xl help` and the dry runs never open SQLite.
 */
import type { DomainInfo } from '@xen-genid/xc-params';
import type { Host } from '@xen-genid/host';
import type { Libxl } from '@xen-genid/xl-lib';
import type { CommandContext } from '../command-table.ts';

/** An open host and a libxl context over it; `close()` releases both. */
export interface Toolstack extends Disposable {
  readonly host: Host;
  readonly libxl: Libxl;
  close(): void;
}

/** The host file this context names (nothing is created). */
export async function hostPathOf(context: CommandContext): Promise<string> {
  const { defaultHostPath } = await import('@xen-genid/host');
  return defaultHostPath(context.env);
}

/**
 * Opens the host file and a libxl context on it, with qemu-dm's device models attached: a domain
 * whose config has a `kernel` runs it under QEMU, as libxl spawns qemu-xen.
 */
export async function openToolstack(context: CommandContext): Promise<Toolstack> {
  const [{ defaultHostPath, openHost }, { createLibxl }, { attachDeviceModels }] = await Promise.all([
    import('@xen-genid/host'),
    import('@xen-genid/xl-lib'),
    import('@xen-genid/qemu-dm'),
  ]);
  const host = openHost(defaultHostPath(context.env));
  let libxl: Libxl;
  try {
    const deviceModels = attachDeviceModels({ hypervisor: host.hypervisor, store: host.store, userdata: host.userdata, hostPath: host.path });
    libxl = createLibxl({
      hypervisor: deviceModels.hypervisor,
      guestModel: deviceModels.guestModel,
      xenstore: host.store,
      userdata: host.userdata,
      names: host.xenstoreBackend,
      atomically: (body) => host.atomically(body),
      ...(context.random ? { random: context.random } : {}),
    });
  } catch (error) {
    host.close();
    throw error;
  }
  const close = (): void => {
    try {
      libxl.close();
    } finally {
      host.close();
    }
  };
  return { host, libxl, close, [Symbol.dispose]: close };
}

/** Runs `body` with a toolstack open, closing it afterwards whatever happens. */
export async function withToolstack<T>(context: CommandContext, body: (toolstack: Toolstack) => T | Promise<T>): Promise<T> {
  const toolstack = await openToolstack(context);
  try {
    return await body(toolstack);
  } finally {
    toolstack.close();
  }
}

/** A domain as `xl list` shows it: the hypervisor's view and the name in xenstore. */
export interface ListedDomain extends DomainInfo {
  readonly name: string | undefined;
}

/**
 * The host's domains with their names, read straight from the hypervisor and the host's index of
 * names (no libxl context: listing writes nothing and loads no more than the host package). With
 * `qualifier` (a domid, or a name: xl's `find_domain`), only that domain, or none.
 */
export async function listHostDomains(context: CommandContext, qualifier?: string): Promise<ListedDomain[]> {
  const { defaultHostPath, openHost } = await import('@xen-genid/host');
  const host = openHost(defaultHostPath(context.env));
  const named = (info: DomainInfo, name: string | undefined): ListedDomain => ({
    ...info,
    name: name ?? (info.domid === 0 ? 'Domain-0' : undefined),
  });
  try {
    if (qualifier === undefined) {
      const names = host.xenstoreBackend.domainNames();
      return host.hypervisor.listDomains().map((info) => named(info, names.get(info.domid)));
    }
    if (!/^[0-9]+$/.test(qualifier)) {
      const domid = host.xenstoreBackend.domidsNamed(qualifier).sort((a, b) => a - b).find((candidate) => host.hypervisor.getDomain(candidate));
      return domid === undefined ? [] : [named(host.hypervisor.getDomain(domid)!, qualifier)];
    }
    const info = host.hypervisor.getDomain(Number.parseInt(qualifier, 10));
    if (info !== undefined) {
      const xs = host.store.connect(0);
      try {
        const name = xs.tryRead(`/local/domain/${info.domid}/name`);
        return [named(info, name === undefined ? undefined : Buffer.from(name).toString('utf8'))];
      } finally {
        xs.close();
      }
    }
    return [];
  } finally {
    host.close();
  }
}
