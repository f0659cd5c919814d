/**
 * The real half of `xl create` (create_domain in `tools/xl/xl_vmcontrol.c` →
 * `libxl_domain_create_new`): the parsed config is built on the host. xl prints nothing more on
 * success (its daemonized child logs elsewhere); a failure is libxl's error line and xl's exit
 * status for `ERROR_FAIL`, with nothing of the domain left behind.
 */
import { INVALID_DOMID, XlError, applyDomidPolicy, type DomainConfig, type DevicePci } from '@xen-genid/xl-lib';
import type { CommandContext } from '../command-context.ts';
import { XL_EXIT } from '../errors.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { libxlCall } from '../toolstack/report.ts';

/**
 * PCI passthrough on this host, which has no IOMMU and no pciback: refused as libxl refuses the
 * first device (`libxl__device_pci_add`): an HVM guest's by `xc_test_assign_device`, any other's as
 * not assignable. Real libxl builds the domain first and tears it down after this message; here
 * nothing is built (docs/divergences.md).
 */
function refusePassthrough(config: DomainConfig): void {
  const pci: DevicePci | undefined = config.pcidevs[0];
  if (pci === undefined) return;
  const hex = (value: number, width: number) => value.toString(16).padStart(width, '0');
  if (config.createInfo.type === 'hvm') {
    const bdf = pci.name ?? `${hex(pci.domain, 4)}:${hex(pci.bus, 2)}:${hex(pci.dev, 2)}.${pci.func}`;
    throw new XlError('FAIL', `PCI device ${bdf} cannot be assigned - no IOMMU?`);
  }
  const bdf = pci.name ?? `${hex(pci.domain, 1)}:${hex(pci.bus, 1)}:${hex(pci.dev, 1)}.${hex(pci.func, 1)}`;
  throw new XlError('FAIL', `PCI device ${bdf} is not assignable`);
}

/** With `console`, xl's `-c`: the new domain's primary console is followed afterwards (`console.ts`). */
export async function createOnHost(
  config: DomainConfig,
  options: { readonly paused: boolean; readonly console?: boolean },
  context: CommandContext,
): Promise<number> {
  return withToolstack(context, async ({ libxl }) => {
    const domid = await libxlCall(
      () => {
        refusePassthrough(config);
        // xl's domid_policy (xl.conf's default: docs/divergences.md).
        applyDomidPolicy(config, INVALID_DOMID);
        // libxl's error lines for what it logs and goes on past.
        return libxl.createDomain(config, { paused: options.paused, log: (line) => context.stderr.write(`libxl: error: ${line}\n`) });
      },
      { exitCode: XL_EXIT.ERROR_FAIL },
    );
    if (!options.console) return XL_EXIT.OK;
    const { followConsole } = await import('./console.ts');
    return followConsole(libxl, libxl.primaryConsole(domid), context);
  });
}
