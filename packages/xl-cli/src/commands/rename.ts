/**
 * `xl rename <Domain> <NewName>` (main_rename, `tools/xl/xl_misc.c`; `libxl_domain_rename`): the
 * domain's name in xenstore (`<dom>/name`, `/vm/<uuid>/name`) and in its stored config. A restored
 * clone of a running domain needs another name before both can be told apart by name; its
 * generation ID is not touched.
 */
import type { CommandContext, CommandInput } from '../command-context.ts';
import { XL_EXIT } from '../errors.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { findDomain, libxlCall } from '../toolstack/report.ts';

export type RenameOptions = Record<string, never>;

export async function run(input: CommandInput<RenameOptions>, context: CommandContext): Promise<number> {
  const [qualifier, newName] = input.args as [string, string];
  return withToolstack(context, async ({ libxl }) => {
    const domid = findDomain(libxl, qualifier);
    // find_domain keeps the name it found (common_domname) as the name the rename must replace.
    const current = domid <= 0xffff ? libxl.domidToName(domid) : undefined;
    await libxlCall(() => libxl.renameDomain(domid, current, newName), { message: () => `Can't rename domain '${qualifier}'.` });
    return XL_EXIT.OK;
  });
}
