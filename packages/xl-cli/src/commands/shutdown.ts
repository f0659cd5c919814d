/**
 * `xl shutdown` and `xl reboot` (main_shutdown / main_reboot → shutdown_domain / reboot_domain,
 * `tools/xl/xl_vmcontrol.c`): `Shutting down domain N` / `Rebooting domain N` on stderr, then
 * the guest acts and the config's `on_poweroff` / `on_reboot` action applies. A reboot keeps the
 * generation ID: the firmware runs again and places the same one.
 */
import type { ShutdownOutcome } from '@xen-genid/xl-lib';
import type { CommandContext, CommandInput } from '../command-context.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { SHUTDOWN_REASON_CODE, findExistingDomain, isLibxlError, libxlErrorLine, rcOf } from '../toolstack/report.ts';

export interface ShutdownOptions {
  all: boolean;
  /** How many times `-w` was given: 1 waits for the shutdown, 2 for the domain's death. */
  wait: number;
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
    const domids = all
      ? libxl.listDomains().filter((info) => info.domid !== 0 && info.shutdown === null).map((info) => info.domid)
      : [findExistingDomain(libxl, input.args[0]!)];
    const outcomes: Array<[number, ShutdownOutcome]> = [];
    for (const domid of domids) {
      context.stderr.write(`${kind === 'reboot' ? 'Rebooting' : 'Shutting down'} domain ${domid}\n`);
      try {
        outcomes.push([domid, kind === 'reboot' ? libxl.rebootDomain(domid) : libxl.shutdownDomain(domid)]);
      } catch (error) {
        // shutdown_domain / reboot_domain: the first failure ends xl, the rest are not asked.
        if (!isLibxlError(error)) throw error;
        context.stderr.write(libxlErrorLine(error));
        throw new XlCliError(`${kind} failed (rc=${rcOf(error)})`);
      }
    }
    if (wait === 0) return XL_EXIT.OK;
    // wait_for_domain_deaths: once every domain was asked. -w stops at each shutdown, -ww waits for death.
    context.stderr.write(`Waiting for ${outcomes.length} domains\n`);
    for (const [domid, outcome] of outcomes) {
      context.stderr.write(`Domain ${domid} has been shut down, reason code ${SHUTDOWN_REASON_CODE[outcome.reason]}\n`);
      if (wait === 1) continue;
      context.stderr.write(`Domain ${domid} continue waiting for death\n`);
      if (outcome.destroyed) context.stderr.write(`Domain ${domid} has been destroyed\n`);
    }
    return XL_EXIT.OK;
  });
}

export async function run(input: CommandInput<ShutdownOptions>, context: CommandContext): Promise<number> {
  return shutdownOrReboot('shutdown', input, context);
}
