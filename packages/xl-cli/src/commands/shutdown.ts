/**
 * `xl shutdown` and `xl reboot` (main_shutdown / main_reboot → shutdown_domain / reboot_domain,
 * `tools/xl/xl_vmcontrol.c`): `Shutting down domain N` / `Rebooting domain N` on stderr, then
 * the guest acts and the config's `on_poweroff` / `on_reboot` action applies. A reboot keeps the
 * generation ID: the firmware runs again and places the same one.
 */
import type { ShutdownOutcome } from '@xen-genid/xl-lib';
import type { CommandContext, CommandInput } from '../command-table.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { SHUTDOWN_REASON_CODE, findExistingDomain, isLibxlError, libxlErrorLine } from '../toolstack/report.ts';

export interface ShutdownOptions {
  all: boolean;
  wait: boolean;
  fallback: boolean;
}


export async function shutdownOrReboot(
  kind: 'shutdown' | 'reboot',
  input: CommandInput<ShutdownOptions>,
  context: CommandContext,
): Promise<number> {
  const { all, wait } = input.options;
  // -a wins over a domain given with it; without either there is nothing to do.
  if (!all && input.args.length === 0) throw new XlCliError('You must specify -a or a domain id.\n');
  return withToolstack(context, ({ libxl }) => {
    let domids: number[];
    if (all) {
      domids = libxl.listDomains().filter((info) => info.domid !== 0 && info.shutdown === null).map((info) => info.domid);
    } else {
      domids = [findExistingDomain(libxl, input.args[0]!)];
    }
    if (wait && domids.length > 0) context.stderr.write(`Waiting for ${domids.length} domains\n`);
    let status: number = XL_EXIT.OK;
    for (const domid of domids) {
      context.stderr.write(`${kind === 'reboot' ? 'Rebooting' : 'Shutting down'} domain ${domid}\n`);
      let outcome: ShutdownOutcome;
      try {
        outcome = kind === 'reboot' ? libxl.rebootDomain(domid) : libxl.shutdownDomain(domid);
      } catch (error) {
        // With -a, the other domains are still asked: the failure is reported and the status kept.
        if (!isLibxlError(error)) throw error;
        context.stderr.write(libxlErrorLine(error));
        status = XL_EXIT.FAILURE;
        continue;
      }
      if (wait) {
        context.stderr.write(`Domain ${domid} has been shut down, reason code ${SHUTDOWN_REASON_CODE[outcome.reason]}\n`);
        if (outcome.destroyed) context.stderr.write(`Domain ${domid} has been destroyed.\n`);
      }
    }
    return status;
  });
}

export async function run(input: CommandInput<ShutdownOptions>, context: CommandContext): Promise<number> {
  return shutdownOrReboot('shutdown', input, context);
}
