/**
 * `xl destroy [-f] <Domain>` (main_destroy / destroy_domain, `tools/xl/xl_vmcontrol.c`): the
 * domain goes at once, and with it its generation ID (the xenstore key, the stored config).
 */
import type { CommandContext, CommandInput } from '../command-table.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { existingDomain, findDomain, isLibxlError, rcOf, reportLibxlError } from '../toolstack/report.ts';

export interface DestroyOptions {
  force: boolean;
}

export async function run(input: CommandInput<DestroyOptions>, context: CommandContext): Promise<number> {
  return withToolstack(context, ({ libxl }) => {
    const domid = findDomain(libxl, input.args[0]!, context);
    if (domid === undefined) return 1;
    if (domid === 0 && !(input.options.force || input.global.force)) {
      context.stderr.write('Not destroying domain 0; use -f to force.\n');
      return 1;
    }
    if (!existingDomain(libxl, domid, context)) {
      context.stderr.write(`destroy failed (rc=-21)\n`);
      return 1;
    }
    try {
      libxl.destroyDomain(domid);
    } catch (error) {
      if (!isLibxlError(error)) throw error;
      reportLibxlError(context, error);
      context.stderr.write(`destroy failed (rc=${rcOf(error)})\n`);
      return 1;
    }
    return 0;
  });
}
