/**
 * `xl domname <DomainId>` (main_domname, `tools/xl/xl_info.c`): the name on stdout. The id is read
 * as xl reads it, `strtol` into a `uint32_t` (so `0abc` is 0 and `4294967296` is 0 too); only a
 * string without a leading number is refused.
 */
import type { CommandContext, CommandInput } from '../command-context.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { domidFromStrtol } from '../toolstack/domid-text.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';

export type DomnameOptions = Record<string, never>;

export async function run(input: CommandInput<DomnameOptions>, context: CommandContext): Promise<number> {
  const { domid, converted } = domidFromStrtol(input.args[0]!);
  if (!converted) throw new XlCliError('Invalid domain id.\n');
  return withToolstack(context, ({ libxl }) => {
    // libxl_domid_to_name reads /local/domain/<domid>/name; ids past a domid_t have no such node.
    const name = domid <= 0xffff && libxl.hypervisor.getDomain(domid) ? libxl.domidToName(domid) : undefined;
    if (name === undefined) throw new XlCliError(`Can't get domain name of domain id '${domid}', maybe this domain does not exist.`);
    context.stdout.write(`${name}\n`);
    return XL_EXIT.OK;
  });
}
