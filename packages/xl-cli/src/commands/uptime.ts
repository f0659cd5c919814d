/**
 * `xl uptime [-s] [Domain...]` (main_uptime / print_uptime, `tools/xl/xl_info.c`): how long each
 * domain has run since it was made, Domain-0 first (the simulated machine's uptime: since its host
 * file was made); a guest's from the `start_time` libxl keeps (`libxl_vm_get_start_time`), a guest
 * without one left out with libxl's error line. A restored or migrated domain is a new domain, so its uptime starts again; a
 * paused one keeps counting, as in Xen (the figure is wall time since `start_time`).
 */
import type { DomainInfo } from '@xen-genid/xc-params';
import type { CommandContext, CommandInput } from '../command-context.ts';
import { XL_EXIT } from '../errors.ts';
import { listHostDomains, withToolstack } from '../toolstack/open-toolstack.ts';
import { padEndBytes } from '../toolstack/domid-text.ts';
import { findDomain, isLibxlError, libxlErrorLine } from '../toolstack/report.ts';

export interface UptimeOptions {
  short: boolean;
}

/** uptime_to_string: `[D day(s), ]H:MM:SS`, or without the seconds in short mode. */
export function formatUptime(seconds: number, short: boolean): string {
  const days = Math.floor(seconds / 86400);
  const hours = Math.floor((seconds % 86400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  const clock = `${String(hours).padStart(2)}:${String(minutes).padStart(2, '0')}${short ? '' : `:${String(rest).padStart(2, '0')}`}`;
  if (days > 1) return `${days} days, ${clock}`;
  if (days === 1) return `${days} day, ${clock}`;
  return clock;
}

/** `%H:%M:%S` of local time. */
function localClock(ms: number): string {
  const date = new Date(ms);
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
}

export async function run(input: CommandInput<UptimeOptions>, context: CommandContext): Promise<number> {
  const short = input.options.short;
  const now = (context.now ?? Date.now)();
  let wanted: number[] | undefined;
  if (input.args.length > 0) wanted = await withToolstack(context, ({ libxl }) => input.args.map((qualifier) => findDomain(libxl, qualifier)));
  const { domains, names } = await listHostDomains(context);
  const byDomid = new Map(domains.map((info, index) => [info.domid, { info, name: names[index] ?? '(null)' }]));
  const line = ({ info, name }: { info: DomainInfo; name: string }, startSeconds: number): string => {
    // xl subtracts the start time's whole seconds from time(NULL) in uint32.
    const uptime = (Math.floor(now / 1000) - startSeconds) >>> 0;
    if (short) return ` ${localClock(now)} up ${formatUptime(uptime, true)}, ${name} (${info.domid})\n`;
    return `${padEndBytes(name, 33)} ${String(info.domid).padStart(4)} ${formatUptime(uptime, false)}\n`;
  };
  let text = short ? '' : `${'Name'.padEnd(33)} ${'ID'.padStart(4)} Uptime\n`;
  await withToolstack(context, ({ libxl }) => {
    // Without arguments: Domain-0, then every other domain; a domid without a domain prints nothing.
    for (const domid of wanted ?? domains.map((info) => info.domid)) {
      const listed = byDomid.get(domid);
      if (!listed) continue;
      // Domain-0's uptime is the machine's (print_dom0_uptime); a guest's starts at the start_time
      // libxl wrote when it built it, and a guest without one is left out, with libxl's error.
      if (domid === 0) {
        text += line(listed, Math.floor(listed.info.createdAt / 1000));
        continue;
      }
      let start: number;
      try {
        start = libxl.vmStartTime(domid);
      } catch (error) {
        if (!isLibxlError(error)) throw error;
        context.stderr.write(libxlErrorLine(error));
        continue;
      }
      text += line(listed, start);
    }
  });
  context.stdout.write(text);
  return XL_EXIT.OK;
}
