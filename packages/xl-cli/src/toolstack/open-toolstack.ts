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

/** Opens the host file and a libxl context on it. */
export async function openToolstack(context: CommandContext): Promise<Toolstack> {
  const [{ defaultHostPath, openHost }, { createLibxl }] = await Promise.all([import('@xen-genid/host'), import('@xen-genid/xl-lib')]);
  const host = openHost(defaultHostPath(context.env));
  let libxl: Libxl;
  try {
    libxl = createLibxl({
      hypervisor: host.hypervisor,
      xenstore: host.store,
      userdata: host.userdata,
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
 * The host's domains with their names, read straight from the hypervisor and xenstore (no libxl
 * context: listing writes nothing and loads no more than the host package).
 */
export async function listHostDomains(context: CommandContext): Promise<ListedDomain[]> {
  const { defaultHostPath, openHost } = await import('@xen-genid/host');
  const host = openHost(defaultHostPath(context.env));
  try {
    const xs = host.store.connect(0);
    try {
      return host.hypervisor.listDomains().map((info) => {
        const name = xs.tryRead(`/local/domain/${info.domid}/name`);
        return { ...info, name: name === undefined ? (info.domid === 0 ? 'Domain-0' : undefined) : Buffer.from(name).toString('utf8') };
      });
    } finally {
      xs.close();
    }
  } finally {
    host.close();
  }
}
