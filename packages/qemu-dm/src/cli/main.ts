/**
 * The `qemu-dm` command line: its one subcommand, `boot-linux`, loaded only when used. The only
 * place that turns an unexpected error into a message and an exit status.
 */
import type { BootLinuxContext } from './boot-linux.ts';

export const QEMU_DM_USAGE =
  'usage: qemu-dm <command> [options]\n\ncommands:\n' +
  "  boot-linux  Boot Debian's Linux under QEMU on the firmware's tables and check the ID its vmgenid driver reads\n\n" +
  'Run "qemu-dm <command> --help" for a command\'s options.\n';

/** Runs `qemu-dm <args>`; returns the exit status. */
export async function runCli(args: readonly string[], context: BootLinuxContext): Promise<number> {
  const [name, ...rest] = args;
  if (name === 'help' || name === '--help' || name === '-h') {
    context.stdout.write(QEMU_DM_USAGE);
    return 0;
  }
  if (name === undefined || !'boot-linux'.startsWith(name)) {
    context.stderr.write(`${name === undefined ? '' : `qemu-dm: unknown command "${name}"\n`}${QEMU_DM_USAGE}`);
    return 2;
  }
  try {
    const { run } = await import('./boot-linux.ts');
    return await run(rest, context);
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    context.stderr.write(`qemu-dm boot-linux: internal error, please report: ${message}\n`);
    return 70;
  }
}
