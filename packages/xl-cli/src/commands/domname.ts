/** `xl domname <DomainId>` (main_domname, `tools/xl/xl_misc.c`): the name on stdout. */
import type { CommandContext, CommandInput } from '../command-table.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';

export type DomnameOptions = Record<string, never>;

export async function run(input: CommandInput<DomnameOptions>, context: CommandContext): Promise<number> {
  const text = input.args[0]!;
  // strtol(argv[optind], &endptr, 10) with the whole string consumed.
  if (!/^\s*[+-]?[0-9]+$/.test(text)) {
    context.stderr.write('Invalid domain id.\n\n');
    return 1;
  }
  const domid = Number.parseInt(text, 10);
  return withToolstack(context, ({ libxl }) => {
    const name = domid >= 0 && domid <= 0xffff && libxl.hypervisor.getDomain(domid) ? libxl.domidToName(domid) : undefined;
    if (name === undefined) {
      context.stderr.write(`Can't get domain name of domain id '${domid >>> 0}', maybe this domain does not exist.\n`);
      return 1;
    }
    context.stdout.write(`${name}\n`);
    return 0;
  });
}
