/**
 * `xl pause <Domain>` (main_pause, `tools/xl/xl_vmcontrol.c`): the guest stops running; its
 * generation ID does not change (the spec's pause/resume scenario).
 */
import type { Libxl } from '@xen-genid/xl-lib';
import type { CommandContext, CommandInput } from '../command-context.ts';
import { XL_EXIT } from '../errors.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { findDomain, isLibxlError, libxlErrorLine } from '../toolstack/report.ts';

export type PauseOptions = Record<string, never>;

/**
 * Shared by pause and unpause (pause_domain / unpause_domain): resolve the domain (an unknown
 * name fails in `find_domain`), run `action`. xl ignores what libxl returns: a failure is libxl's
 * logged line and the exit status stays 0. For a domid with no domain, libxl's first step,
 * `libxl__domain_type` (tools/libs/light/libxl_dom.c), is what fails and logs.
 */
export async function runOnDomain(qualifier: string, context: CommandContext, action: (libxl: Libxl, domid: number) => void): Promise<number> {
  return withToolstack(context, ({ libxl }) => {
    const domid = findDomain(libxl, qualifier);
    if (domid > 0xffff || !libxl.hypervisor.getDomain(domid)) {
      context.stderr.write(`libxl: error: libxl_dom.c:37:libxl__domain_type: unable to get domain type for domid=${domid}\n`);
      return XL_EXIT.OK;
    }
    try {
      action(libxl, domid);
    } catch (error) {
      if (!isLibxlError(error)) throw error;
      context.stderr.write(libxlErrorLine(error));
    }
    return XL_EXIT.OK;
  });
}

export async function run(input: CommandInput<PauseOptions>, context: CommandContext): Promise<number> {
  return runOnDomain(input.args[0]!, context, (libxl, domid) => libxl.pauseDomain(domid));
}
