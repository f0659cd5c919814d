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
 * logged line and the exit status stays 0. For a domid with no domain, libxl's first step fails
 * and logs `missing(domid)`.
 */
export async function runOnDomain(
  qualifier: string,
  context: CommandContext,
  missing: (domid: number) => string,
  action: (libxl: Libxl, domid: number) => void,
): Promise<number> {
  return withToolstack(context, ({ libxl }) => {
    const domid = findDomain(libxl, qualifier);
    if (domid > 0xffff || !libxl.hypervisor.getDomain(domid)) {
      context.stderr.write(`libxl: error: ${missing(domid)}\n`);
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
  // libxl_domain_pause asks the hypervisor straight away (libxl_domain.c), which answers ESRCH.
  const missing = (domid: number) => `libxl_domain.c:587:libxl_domain_pause: Domain ${domid}:Pausing domain: No such process`;
  return runOnDomain(input.args[0]!, context, missing, (libxl, domid) => libxl.pauseDomain(domid));
}
