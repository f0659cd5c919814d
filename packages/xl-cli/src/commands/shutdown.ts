/**
 * `xl shutdown` and `xl reboot` (main_shutdown / main_reboot → shutdown_domain / reboot_domain,
 * `tools/xl/xl_vmcontrol.c`): `Shutting down domain N` / `Rebooting domain N` on stderr, then
 * the guest acts and the config's `on_poweroff` / `on_reboot` action applies. A reboot keeps the
 * generation ID: the firmware runs again and places the same one.
 */
import type { Libxl, ShutdownOutcome } from '@xen-genid/xl-lib';
import type { CommandContext, CommandInput } from '../command-context.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { SHUTDOWN_REASON_CODE, findDomain, isLibxlError, libxlErrorLine, rcOf } from '../toolstack/report.ts';

export interface ShutdownOptions {
  all: boolean;
  /** How many times `-w` was given: 1 waits for the shutdown, 2 for the domain's death. */
  wait: number;
  fallback: boolean;
}


/** xl's lines for a guest without the PV control interface (shutdown_domain / reboot_domain). */
const NO_PV_CONTROL = {
  shutdown: { trigger: 'power', button: 'power button', event: 'power' },
  reboot: { trigger: 'reset', button: 'reset button', event: 'reset' },
} as const;

/**
 * shutdown_domain / reboot_domain for one domain: asks the guest through the PV control interface,
 * or, for an HVM guest without it, presses the ACPI button with `-F` (a reboot's reset trigger is
 * not implemented by x86 Xen 4.17, so it fails as there). The first failure ends xl. The outcome
 * when the guest shut down (`null`: it was only sent the button and has not reacted).
 */
function shutdownOne(kind: 'shutdown' | 'reboot', libxl: Libxl, domid: number, fallback: boolean, context: CommandContext): ShutdownOutcome | null {
  context.stderr.write(`${kind === 'reboot' ? 'Rebooting' : 'Shutting down'} domain ${domid}\n`);
  const failed = (error: unknown): never => {
    if (!isLibxlError(error)) throw error;
    if (error.code !== 'NOPARAVIRT') context.stderr.write(libxlErrorLine(error));
    throw new XlCliError(`${kind} failed (rc=${rcOf(error)})`);
  };
  try {
    return kind === 'reboot' ? libxl.rebootDomain(domid) : libxl.shutdownDomain(domid);
  } catch (error) {
    if (!isLibxlError(error) || error.code !== 'NOPARAVIRT') return failed(error);
    const { trigger, button, event } = NO_PV_CONTROL[kind];
    if (!fallback) {
      context.stderr.write(`PV control interface not available: external graceful ${kind} not possible.\nUse "-F" to fallback to ACPI ${event} event.\n`);
      return failed(error);
    }
    context.stderr.write(`PV control interface not available: sending ACPI ${button} event.\n`);
    try {
      return libxl.sendTrigger(domid, trigger);
    } catch (triggerError) {
      return failed(triggerError);
    }
  }
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
      : [findDomain(libxl, input.args[0]!)];
    const outcomes: Array<[number, ShutdownOutcome]> = [];
    for (const domid of domids) {
      const outcome = shutdownOne(kind, libxl, domid, input.options.fallback, context);
      if (outcome !== null) outcomes.push([domid, outcome]);
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
