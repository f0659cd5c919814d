/**
 * `xl unpause <Domain>` (main_unpause, `tools/xl/xl_vmcontrol.c`): a domain created with `-p`
 * runs its firmware now (which places the ID); a paused guest continues with the same ID.
 */
import type { CommandContext, CommandInput } from '../command-context.ts';
import { runOnDomain } from './pause.ts';

export type UnpauseOptions = Record<string, never>;

export async function run(input: CommandInput<UnpauseOptions>, context: CommandContext): Promise<number> {
  // libxl_domain_unpause first asks the domain's type (libxl__domain_type, libxl_dom.c).
  const missing = (domid: number) => `libxl_dom.c:37:libxl__domain_type: unable to get domain type for domid=${domid}`;
  return runOnDomain(input.args[0]!, context, missing, (libxl, domid) => libxl.unpauseDomain(domid));
}
