/** `xl domname <DomainId>` (main_domname, `tools/xl/xl_misc.c`): the name on stdout. */
import type { CommandContext, CommandInput } from '../command-table.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';

export type DomnameOptions = Record<string, never>;

export async function run(input: CommandInput<DomnameOptions>, context: CommandContext): Promise<number> {
  const text = input.args[0]!;
  // strtol(argv[optind], &endptr, 10) with the whole string consumed.
  if (!/^\s*[+-]?[0-9]+$/.test(text)) throw new XlCliError('Invalid domain id.\n');
  const domid = Number.parseInt(text, 10);
  return withToolstack(context, ({ libxl }) => {
    const name = domid >= 0 && domid <= 0xffff && libxl.hypervisor.getDomain(domid) ? libxl.domidToName(domid) : undefined;
    if (name === undefined) throw new XlCliError(`Can't get domain name of domain id '${domid >>> 0}', maybe this domain does not exist.`);
    context.stdout.write(`${name}\n`);
    return XL_EXIT.OK;
  });
}
