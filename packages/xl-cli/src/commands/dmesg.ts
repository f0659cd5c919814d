/**
 * `xl dmesg [-c]` (main_dmesg, `tools/xl/xl_info.c`): Xen's console ring, printed as it is read
 * (`Libxl.readXenConsole`); `-c` (`--clear`) clears it as well. Arguments after the options are
 * ignored, as xl ignores them.
 */
import type { CommandContext, CommandInput } from '../command-context.ts';
import { XL_EXIT } from '../errors.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';

export interface DmesgOptions {
  clear: boolean;
}

export async function run(input: CommandInput<DmesgOptions>, context: CommandContext): Promise<number> {
  return withToolstack(context, ({ libxl }) => {
    for (const piece of libxl.readXenConsole(input.options.clear)) context.stdout.write(piece);
    return XL_EXIT.OK;
  });
}
