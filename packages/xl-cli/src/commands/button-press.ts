/**
 * `xl button-press <Domain> <power|sleep>` (main_button_press, `tools/xl/xl_misc.c`): deprecated
 * for `xl trigger`; its warning comes first, before the options are read (`command-table.ts`).
 */
import type { CommandContext, CommandInput } from '../command-context.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { findDomain } from '../toolstack/report.ts';
import { sendTrigger } from './trigger.ts';

export type ButtonPressOptions = Record<string, never>;

export async function run(input: CommandInput<ButtonPressOptions>, context: CommandContext): Promise<number> {
  const [qualifier, button] = input.args as [string, string];
  return withToolstack(context, ({ libxl }) => {
    const domid = findDomain(libxl, qualifier);
    if (button !== 'power' && button !== 'sleep') throw new XlCliError(`${button} is an invalid button identifier`);
    sendTrigger(libxl, domid, button, 0, context);
    return XL_EXIT.OK;
  });
}
