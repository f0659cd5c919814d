/**
 * `xl destroy [-f] <Domain>` (main_destroy / destroy_domain, `tools/xl/xl_vmcontrol.c`): the
 * domain goes at once, and with it its generation ID (the xenstore key, the stored config).
 */
import { XL_ERROR } from '@xen-genid/xl-lib/errors';
import type { CommandContext, CommandInput } from '../command-context.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { findDomain, libxlCall } from '../toolstack/report.ts';

export interface DestroyOptions {
  force: boolean;
}

export async function run(input: CommandInput<DestroyOptions>, context: CommandContext): Promise<number> {
  return withToolstack(context, async ({ libxl }) => {
    const domid = findDomain(libxl, input.args[0]!);
    if (domid === 0 && !(input.options.force || input.global.force)) {
      throw new XlCliError('Not destroying domain 0; use -f to force.\nThis can only be done when using a disaggregated hardware domain and toolstack.\n');
    }
    if (domid > 0xffff || !libxl.hypervisor.getDomain(domid)) {
      // libxl__destroy_domid finds no domain, and each callback up the chain logs its line (libxl_domain.c).
      throw new XlCliError(
        [
          `libxl: error: libxl_domain.c:1183:libxl__destroy_domid: Domain ${domid}:Non-existant domain`,
          `libxl: error: libxl_domain.c:1137:domain_destroy_callback: Domain ${domid}:Unable to destroy guest`,
          `libxl: error: libxl_domain.c:1064:domain_destroy_cb: Domain ${domid}:Destruction of domain failed`,
          `destroy failed (rc=${XL_ERROR.DOMAIN_NOTFOUND})`,
        ].join('\n'),
      );
    }
    await libxlCall(() => libxl.destroyDomain(domid), { message: (rc) => `destroy failed (rc=${rc})` });
    return XL_EXIT.OK;
  });
}
