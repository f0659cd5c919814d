/**
 * `xl list [-l] [-v] [-Z] [-c] [-n] [Domain]` (main_list, list_domains and list_domains_details in
 * `tools/xl/xl_info.c`): one line per domain, Domain-0 first, or with `-l` a JSON array of
 * `{"domid": N, "config": <libxl JSON>}` for every domain that has a stored libxl config.
 */
import type { DomainInfo } from '@xen-genid/xc-params';
import type { JsonValue } from '@xen-genid/xl-lib';
import type { CommandContext, CommandInput } from '../command-context.ts';
import { listHostDomains, withToolstack } from '../toolstack/open-toolstack.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { formatOneDecimal, padEndBytes } from '../toolstack/domid-text.ts';
import { SHUTDOWN_REASON_CODE, findDomain, isLibxlError } from '../toolstack/report.ts';

export interface ListOptions {
  long: boolean;
  verbose: boolean;
  context: boolean;
  cpupool: boolean;
  numa: boolean;
}

/** list_domains' `shutdown_reason_letters`, indexed by the reason code. */
const SHUTDOWN_REASON_LETTERS = '-rscwS';
const KIB_PER_PAGE = 4;

/**
 * The six state letters: running (Domain-0, where xl itself runs), blocked (a guest that is
 * neither paused nor shut down idles, waiting for events), paused, shut down with its reason, dying.
 */
function stateOf(info: DomainInfo): string {
  const alive = !info.paused && info.shutdown === null && !info.dying;
  // Concatenated, not an array joined: one call per listed domain.
  return (
    (alive && info.domid === 0 ? 'r' : '-') +
    (alive && info.domid !== 0 ? 'b' : '-') +
    (info.paused ? 'p' : '-') +
    (info.shutdown !== null ? 's' + SHUTDOWN_REASON_LETTERS[SHUTDOWN_REASON_CODE[info.shutdown]] : '--') +
    (info.dying ? 'd' : '-')
  );
}

/** The columns after `-v`'s, the same on every line: the security label, the cpupool, the NUMA affinity. */
export function sameOnEveryLine(options: Partial<ListOptions>, cpupoolName: string): string {
  let text = '';
  // No XSM policy: no domain has a security label.
  if (options.verbose || options.context) text += ` ${'-'.padStart(16)}`;
  if (options.cpupool) text += cpupoolName.padStart(16);
  // One NUMA node, and every domain's affinity covers it (print_bitmap: "all").
  if (options.numa) text += ' all';
  return text;
}

/**
 * One line of the table, `%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f`, and the columns asked for:
 * `name` is the domain's (`(null)` without one) and `cpupoolName` its cpupool's. (A host file makes
 * the same lines in SQLite: `Host.domainTable`.)
 */
export function formatListRow(
  info: DomainInfo,
  name: string | undefined,
  options: Partial<ListOptions> = {},
  cpupoolName = 'Pool-0',
): string {
  const memoryMib = Math.floor((info.maxMemKb + (info.outstandingPages ?? 0) * KIB_PER_PAGE) / 1024);
  // (float)cpu_time / 1e9: the nanoseconds go through a C float first.
  const seconds = formatOneDecimal(Math.fround(info.cpuTimeNs) / 1e9);
  let line = `${padEndBytes(name ?? '(null)', 40)} ${String(info.domid).padStart(5)} ${String(memoryMib).padStart(5)} ${String(info.vcpus).padStart(5)}     ${stateOf(info)}  ${seconds.padStart(8)}`;
  if (options.verbose) {
    const reason = info.shutdown === null ? '-' : SHUTDOWN_REASON_CODE[info.shutdown].toString(16);
    line += ` ${info.uuid} ${reason.padStart(8)}`;
  }
  return `${line}${sameOnEveryLine(options, cpupoolName)}\n`;
}

/** Lines of `xl list` written at once. */
const LINES_PER_WRITE = 512;

/** The header line for the columns asked for. */
function formatHeader(options: ListOptions): string {
  let header = 'Name                                        ID   Mem VCPUs\tState\tTime(s)';
  if (options.verbose) header += '   UUID                            Reason-Code\tSecurity Label';
  if (options.context && !options.verbose) header += '   Security Label';
  if (options.cpupool) header += '         Cpupool';
  if (options.numa) header += ' NODE Affinity';
  return `${header}\n`;
}

export async function run(input: CommandInput<ListOptions>, context: CommandContext): Promise<number> {
  if (input.args.length > 1) {
    // help("list") on stdout, then EXIT_FAILURE.
    throw XlCliError.usage(XL_EXIT.FAILURE);
  }
  const qualifier = input.args[0];
  if (!input.options.long) {
    const { domains, names, cpupoolName, table } = await listHostDomains(context, qualifier, (parts, pool) =>
      parts.domainTable?.({ verbose: input.options.verbose, suffix: sameOnEveryLine(input.options, pool) }),
    );
    if (table !== undefined) {
      context.stdout.write(formatHeader(input.options));
      context.stdout.write(table);
      return XL_EXIT.OK;
    }
    if (qualifier !== undefined && domains.length === 0) {
      if (!/^[0-9]*$/.test(qualifier)) await withToolstack(context, ({ libxl }) => findDomain(libxl, qualifier));
      throw new XlCliError(`Error: Domain '${qualifier}' does not exist.`);
    }
    // Written a block of lines at a time: the text of 10,000 lines is never all held at once. Each
    // block is joined from an array, not grown by `+=`: the tree of pieces `+=` builds costs a
    // 10,000-line `xl list -v` a fifth of its time in garbage collection.
    let lines = [formatHeader(input.options)];
    for (let index = 0; index < domains.length; index += 1) {
      lines.push(formatListRow(domains[index]!, names[index], input.options, cpupoolName));
      if (lines.length === LINES_PER_WRITE) {
        context.stdout.write(lines.join(''));
        lines = [];
      }
    }
    if (lines.length > 0) context.stdout.write(lines.join(''));
    return XL_EXIT.OK;
  }
  return withToolstack(context, async ({ libxl }) => {
    let domains = libxl.listDomains();
    if (qualifier !== undefined) {
      const domid = findDomain(libxl, qualifier);
      domains = domains.filter((info) => info.domid === domid);
      if (domains.length === 0) throw new XlCliError(`Error: Domain '${qualifier}' does not exist.`);
    }
    const { domainConfigToJson, yajlBeautify } = await import('@xen-genid/xl-lib');
    const entries: JsonValue[] = [];
    for (const info of domains) {
      try {
        entries.push({ domid: info.domid, config: domainConfigToJson(libxl.retrieveDomainConfiguration(info.domid)) });
      } catch (error) {
        if (!isLibxlError(error)) throw error; // no stored config: not listed, as in xl
      }
    }
    // puts(): yajl's text and a newline.
    context.stdout.write(`${yajlBeautify(entries)}\n`);
    return XL_EXIT.OK;
  });
}
