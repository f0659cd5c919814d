/**
 * The real half of `xl create` (create_domain in `tools/xl/xl_vmcontrol.c` →
 * `libxl_domain_create_new`): the parsed config is built on the host. xl prints nothing more on
 * success (its daemonized child logs elsewhere); a failure is libxl's error line and xl's exit
 * status for `ERROR_FAIL`, with nothing of the domain left behind.
 */
import type { DomainConfig } from '@xen-genid/xl-lib';
import type { CommandContext } from '../command-table.ts';
import { XL_EXIT } from '../errors.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { libxlCall } from '../toolstack/report.ts';

export async function createOnHost(config: DomainConfig, options: { readonly paused: boolean }, context: CommandContext): Promise<number> {
  return withToolstack(context, async ({ libxl }) => {
    await libxlCall(() => libxl.createDomain(config, { paused: options.paused }), { exitCode: XL_EXIT.ERROR_FAIL });
    return XL_EXIT.OK;
  });
}
