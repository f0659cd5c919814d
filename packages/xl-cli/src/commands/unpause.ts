/**
 * `xl unpause <Domain>` (main_unpause, `tools/xl/xl_vmcontrol.c`): a domain created with `-p`
 * runs its firmware now (which places the ID); a paused guest continues with the same ID.
 */
import type { CommandContext, CommandInput } from '../command-context.ts';
import { runOnDomain } from './pause.ts';

export type UnpauseOptions = Record<string, never>;

export async function run(input: CommandInput<UnpauseOptions>, context: CommandContext): Promise<number> {
  return runOnDomain(input.args[0]!, context, (libxl, domid) => libxl.unpauseDomain(domid));
}
