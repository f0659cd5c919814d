/**
 * `xl destroy [-f] <Domain>` (main_destroy / destroy_domain, `tools/xl/xl_vmcontrol.c`): the
 * domain goes at once, and with it its generation ID (the xenstore key, the stored config).
 */
import type { CommandContext, CommandInput } from '../command-context.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { LIBXL_RC, existingDomain, findDomain, libxlCall } from '../toolstack/report.ts';

export interface DestroyOptions {
  force: boolean;
}

export async function run(input: CommandInput<DestroyOptions>, context: CommandContext): Promise<number> {
  return withToolstack(context, async ({ libxl }) => {
    const domid = findDomain(libxl, input.args[0]!);
    if (domid === 0 && !(input.options.force || input.global.force)) {
      throw new XlCliError('Not destroying domain 0; use -f to force.\nThis can only be done when using a disaggregated hardware domain and toolstack.\n');
    }
    existingDomain(libxl, domid, `destroy failed (rc=${LIBXL_RC.DOMAIN_NOTFOUND})`);
    await libxlCall(() => libxl.destroyDomain(domid), { message: (rc) => `destroy failed (rc=${rc})` });
    return XL_EXIT.OK;
  });
}
