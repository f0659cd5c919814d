/**
 * `xl pause <Domain>` (main_pause, `tools/xl/xl_vmcontrol.c`): the guest stops running; its
 * generation ID does not change (the spec's pause/resume scenario).
 */
import type { Libxl } from '@xen-genid/xl-lib';
import type { CommandContext, CommandInput } from '../command-table.ts';
import { XL_EXIT } from '../errors.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { findExistingDomain, libxlCall } from '../toolstack/report.ts';

export type PauseOptions = Record<string, never>;

/** Shared by pause and unpause: resolve the domain, run `action`. */
export async function runOnDomain(qualifier: string, context: CommandContext, action: (libxl: Libxl, domid: number) => void): Promise<number> {
  return withToolstack(context, async ({ libxl }) => {
    const domid = findExistingDomain(libxl, qualifier);
    await libxlCall(() => action(libxl, domid));
    return XL_EXIT.OK;
  });
}

export async function run(input: CommandInput<PauseOptions>, context: CommandContext): Promise<number> {
  return runOnDomain(input.args[0]!, context, (libxl, domid) => libxl.pauseDomain(domid));
}
