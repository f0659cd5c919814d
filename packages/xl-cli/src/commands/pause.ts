/**
 * `xl pause <Domain>` (main_pause, `tools/xl/xl_vmcontrol.c`): the guest stops running; its
 * generation ID does not change (the spec's pause/resume scenario).
 */
import type { CommandContext, CommandInput } from '../command-table.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { existingDomain, findDomain, isLibxlError, reportLibxlError } from '../toolstack/report.ts';

export type PauseOptions = Record<string, never>;

/** Shared by pause and unpause: resolve the domain, run `action`, report libxl's failure. */
export async function runOnDomain(
  qualifier: string,
  context: CommandContext,
  action: (libxl: import('@xen-genid/xl-lib').Libxl, domid: number) => void,
): Promise<number> {
  return withToolstack(context, ({ libxl }) => {
    const domid = findDomain(libxl, qualifier, context);
    if (domid === undefined) return 1;
    if (!existingDomain(libxl, domid, context)) return 1;
    try {
      action(libxl, domid);
    } catch (error) {
      if (!isLibxlError(error)) throw error;
      reportLibxlError(context, error);
      return 1;
    }
    return 0;
  });
}

export async function run(input: CommandInput<PauseOptions>, context: CommandContext): Promise<number> {
  return runOnDomain(input.args[0]!, context, (libxl, domid) => libxl.pauseDomain(domid));
}
