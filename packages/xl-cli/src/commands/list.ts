/**
 * `xl list [-l] [Domain]` (main_list and list_domains in `tools/xl/xl_info.c`): the table that
 * starts with Domain-0, or with `-l` a JSON array of `{"domid": N, "config": <libxl JSON>}` for
 * every domain that has a stored libxl config (Domain-0 has none and is left out).
 */
import type { JsonValue } from '@xen-genid/xl-lib';
import type { CommandContext, CommandInput } from '../command-table.ts';
import { listHostDomains, withToolstack, type ListedDomain } from '../toolstack/open-toolstack.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { LIBXL_RC, findDomain, isLibxlError } from '../toolstack/report.ts';

export interface ListOptions {
  long: boolean;
}

const HEADER = 'Name                                        ID   Mem VCPUs\tState\tTime(s)\n';

/** The six state letters of `xl list`: running, blocked, paused, shutdown, crashed, dying. */
function stateOf(info: ListedDomain): string {
  const running = !info.paused && info.shutdown === null;
  return [
    running ? 'r' : '-',
    '-',
    info.paused ? 'p' : '-',
    info.shutdown !== null && info.shutdown !== 'crash' ? 's' : '-',
    info.shutdown === 'crash' ? 'c' : '-',
    '-',
  ].join('');
}

/** One table row: `%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f`. */
export function formatListRow(info: ListedDomain, now: number): string {
  const name = info.name ?? '(null)';
  const memoryMib = Math.floor((info.maxMemKb + 1023) / 1024);
  const seconds = Math.max(0, now - info.createdAt) / 1000;
  return `${name.padEnd(40)} ${String(info.domid).padStart(5)} ${String(memoryMib).padStart(5)} ${String(info.vcpus).padStart(5)}     ${stateOf(info)}  ${seconds.toFixed(1).padStart(8)}\n`;
}

export async function run(input: CommandInput<ListOptions>, context: CommandContext): Promise<number> {
  if (input.args.length > 1) throw XlCliError.usage();
  const qualifier = input.args[0];
  if (!input.options.long) {
    const domains = await listHostDomains(context, qualifier);
    if (qualifier !== undefined && domains.length === 0) {
      throw new XlCliError(/^[0-9]+$/.test(qualifier) ? `${qualifier} is an invalid domain identifier` : `${qualifier} is an invalid domain identifier (rc=${LIBXL_RC.INVAL})`);
    }
    const now = Date.now();
    context.stdout.write(HEADER + domains.map((info) => formatListRow(info, now)).join(''));
    return XL_EXIT.OK;
  }
  return withToolstack(context, async ({ libxl }) => {
    let domains = libxl.listDomains();
    if (qualifier !== undefined) {
      const domid = findDomain(libxl, qualifier);
      domains = domains.filter((info) => info.domid === domid);
      if (domains.length === 0) throw new XlCliError(`${qualifier} is an invalid domain identifier`);
    }
    const { domainConfigToJson, yajlBeautify } = await import('@xen-genid/xl-lib');
    const entries: JsonValue[] = [];
    for (const info of domains) {
      if (info.domid === 0) continue;
      try {
        entries.push({ domid: info.domid, config: domainConfigToJson(libxl.retrieveDomainConfiguration(info.domid)) });
      } catch (error) {
        if (!isLibxlError(error)) throw error; // no stored config: not listed, as in xl
      }
    }
    context.stdout.write(yajlBeautify(entries));
    return XL_EXIT.OK;
  });
}
