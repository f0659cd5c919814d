/** `xl domid <DomainName>` (main_domid, `tools/xl/xl_misc.c`): the domid on stdout. */
import type { CommandContext, CommandInput } from '../command-context.ts';
import { XL_EXIT } from '../errors.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { libxlCall } from '../toolstack/report.ts';

export type DomidOptions = Record<string, never>;

export async function run(input: CommandInput<DomidOptions>, context: CommandContext): Promise<number> {
  const name = input.args[0]!;
  return withToolstack(context, async ({ libxl }) => {
    const domid = await libxlCall(() => libxl.nameToDomid(name), {
      message: () => `Can't get domid of domain name '${name}', maybe this domain does not exist.`,
      logged: false,
    });
    context.stdout.write(`${domid}\n`);
    return XL_EXIT.OK;
  });
}
