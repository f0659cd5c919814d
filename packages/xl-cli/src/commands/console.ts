/**
 * `xl console [-t pv|serial|vuart] [-n N] <Domain>` (main_console, `tools/xl/xl_console.c`), and
 * the console `xl create -c` / `xl restore -c` attach to. Real xl finds the console
 * (`libxl_primary_console_exec` / `libxl_console_exec`, `libxl_console.c`) and execs xenconsole
 * (`tools/console/client/main.c`), which copies the console's pty to stdout, and keyboard input
 * back when stdin and stdout are terminals, until Ctrl-] or the console goes away. Here the
 * console is read through libxl's console sources (`@xen-genid/xl-lib`'s `ConsoleSource`):
 * everything the console kept is printed, then new output as it comes, until the domain is
 * destroyed (exit 0), stdin ends, or Ctrl-] is typed (docs/divergences.md).
 */
import type { ConsoleRef, ConsoleType, Libxl } from '@xen-genid/xl-lib';
import type { CommandContext, CommandInput } from '../command-context.ts';
import { atoi } from '../config/c-numbers.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { consoleInput } from '../toolstack/process-io.ts';
import { findDomain, isLibxlError, libxlErrorLine } from '../toolstack/report.ts';

export interface ConsoleOptions {
  type: string | undefined;
  num: string | undefined;
}

/** xenconsole's escape character, Ctrl-] (`ESCAPE_CHARACTER`). */
const ESCAPE_CHARACTER = 0x1d;
/** How often a followed console is read again, in milliseconds. */
const FOLLOW_INTERVAL_MS = 100;
/** xenconsole's exit statuses: `exit(EINVAL)`, and `err(errno, ...)` with `ENOENT`. */
const EINVAL = 22;
const ENOENT = 2;

/**
 * xenconsole on `console`: refuses Domain-0 as it does, then copies the console to stdout and
 * follows it; input goes to the console. A console nobody serves fails as xenconsole does once
 * its wait for the tty ends (here at once).
 */
export async function followConsole(libxl: Libxl, console: ConsoleRef, context: CommandContext): Promise<number> {
  if (console.domid === 0) {
    context.stderr.write("Can't specify Domain-0\n");
    return EINVAL;
  }
  const exists = console.domid <= 0xffff && libxl.hypervisor.getDomain(console.domid) !== undefined;
  if (!exists || libxl.readConsole(console, Number.MAX_SAFE_INTEGER) === undefined) {
    context.stderr.write('xenconsole: Could not read tty from store: No such file or directory\n');
    return ENOENT;
  }
  let offset = 0;
  const input = consoleInput(context);
  let stop = false;
  const reading = (async () => {
    for await (const chunk of input.chunks) {
      const escape = chunk.indexOf(ESCAPE_CHARACTER);
      const typed = escape === -1 ? chunk : chunk.subarray(0, escape);
      if (typed.length > 0) libxl.writeConsole(console, typed);
      if (escape !== -1) break;
    }
    stop = true;
  })();
  try {
    for (;;) {
      // The domain gone is the console gone (xenconsole's "Console PTY has become invalid").
      if (libxl.hypervisor.getDomain(console.domid) === undefined) return XL_EXIT.OK;
      const output = libxl.readConsole(console, offset);
      if (output === undefined) return XL_EXIT.OK;
      if (output.data.length > 0) context.stdout.write(output.data);
      offset = output.start + output.data.length;
      if (stop) return XL_EXIT.OK;
      await context.stdout.flush?.();
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS));
    }
  } finally {
    input.close();
    void reading.catch(() => undefined);
  }
}

export async function run(input: CommandInput<ConsoleOptions>, context: CommandContext): Promise<number> {
  const { type, num } = input.options;
  if (type !== undefined && type !== 'pv' && type !== 'serial' && type !== 'vuart') {
    throw new XlCliError('console type supported are: pv, serial, vuart');
  }
  return withToolstack(context, async ({ libxl }) => {
    const domid = findDomain(libxl, input.args[0]!);
    let console: ConsoleRef;
    if (type === undefined) {
      try {
        console = libxl.primaryConsole(domid);
      } catch (error) {
        if (!isLibxlError(error)) throw error;
        context.stderr.write(libxlErrorLine(error));
        throw new XlCliError('Unable to attach console');
      }
    } else {
      console = { domid, type: type as ConsoleType, num: num === undefined ? 0 : atoi(num) };
    }
    return followConsole(libxl, console, context);
  });
}
