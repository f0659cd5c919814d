/**
 * `xl vm-list` (main_vm_list / list_vm, `tools/xl/xl_info.c`, over `libxl_list_vm`): the uuid, id
 * and name of every domain that is not a device-model stub domain. Domain-0 is listed too, as
 * libxl_list_vm leaves it in (whatever the command's description says).
 */
import type { DomainInfo } from '@xen-genid/xc-params';
import type { CommandContext, CommandInput } from '../command-context.ts';
import { XL_EXIT } from '../errors.ts';
import { listHostDomains } from '../toolstack/open-toolstack.ts';
import { padEndBytes } from '../toolstack/domid-text.ts';

export type VmListOptions = Record<string, never>;

/** One line: `LIBXL_UUID_FMT "  %d    %-30s\n"` (a host file makes the same lines in SQLite: `Host.vmTable`). */
export function formatVmListRow(info: DomainInfo, name: string | undefined): string {
  return `${info.uuid}  ${info.domid}    ${padEndBytes(name ?? '(null)', 30)}\n`;
}

export async function run(_input: CommandInput<VmListOptions>, context: CommandContext): Promise<number> {
  const { domains, names, table } = await listHostDomains(context, undefined, (parts) => parts.vmTable?.());
  // Joined from an array, as `xl list`'s lines.
  const lines = ['UUID                                  ID    name\n'];
  domains.forEach((info, index) => lines.push(formatVmListRow(info, names[index])));
  context.stdout.write(lines.join(''));
  if (table !== undefined) context.stdout.write(table);
  return XL_EXIT.OK;
}
