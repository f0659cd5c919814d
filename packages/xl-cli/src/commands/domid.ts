/** `xl domid <DomainName>` (main_domid, `tools/xl/xl_misc.c`): the domid on stdout. */
import type { CommandContext, CommandInput } from '../command-table.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { isLibxlError } from '../toolstack/report.ts';

export type DomidOptions = Record<string, never>;

export async function run(input: CommandInput<DomidOptions>, context: CommandContext): Promise<number> {
  const name = input.args[0]!;
  return withToolstack(context, ({ libxl }) => {
    try {
      context.stdout.write(`${libxl.nameToDomid(name)}\n`);
      return 0;
    } catch (error) {
      if (!isLibxlError(error)) throw error;
      context.stderr.write(`Can't get domid of domain name '${name}', maybe this domain does not exist.\n`);
      return 1;
    }
  });
}
