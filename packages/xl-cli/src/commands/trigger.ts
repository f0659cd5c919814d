/**
 * `xl trigger <Domain> <nmi|reset|init|power|sleep|s3resume> [<VCPU>]` (main_trigger) and the
 * deprecated `xl button-press <Domain> <power|sleep>` (main_button_press, both in
 * `tools/xl/xl_misc.c`), through `libxl_send_trigger`. xl ignores what libxl returns: a failure is
 * libxl's logged line and the exit status stays 0. The simulated guest answers an NMI with Linux's
 * line on its console and the power button by powering off, after which the config's
 * `on_poweroff` action applies.
 */
import type { Libxl, LibxlTrigger } from '@xen-genid/xl-lib';
import type { CommandContext, CommandInput } from '../command-context.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { domidFromStrtol } from '../toolstack/domid-text.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { findDomain, isLibxlError, libxlErrorLine } from '../toolstack/report.ts';

export type TriggerOptions = Record<string, never>;

/** `libxl_trigger`'s names, as `libxl_trigger_from_string` takes them (any case). */
const TRIGGERS: readonly LibxlTrigger[] = ['unknown', 'power', 'sleep', 'nmi', 'init', 'reset', 's3resume'];

/** `libxl_send_trigger`, its failure logged and otherwise ignored as xl does. */
export function sendTrigger(libxl: Libxl, domid: number, trigger: LibxlTrigger, vcpu: number, context: CommandContext): void {
  try {
    libxl.sendTrigger(domid, trigger, vcpu);
  } catch (error) {
    if (!isLibxlError(error)) throw error;
    context.stderr.write(libxlErrorLine(error));
  }
}

export async function run(input: CommandInput<TriggerOptions>, context: CommandContext): Promise<number> {
  const [qualifier, name, vcpuText] = input.args as [string, string, string | undefined];
  return withToolstack(context, ({ libxl }) => {
    const domid = findDomain(libxl, qualifier);
    const trigger = TRIGGERS.find((candidate) => candidate === name.toLowerCase());
    if (trigger === undefined) throw new XlCliError(`Invalid trigger "${name}"`);
    let vcpu = 0;
    if (vcpuText !== undefined) {
      const parsed = domidFromStrtol(vcpuText);
      if (!parsed.converted) context.stderr.write('Invalid vcpuid, using default vcpuid=0.\n\n');
      vcpu = parsed.domid;
    }
    sendTrigger(libxl, domid, trigger, vcpu, context);
    return XL_EXIT.OK;
  });
}
