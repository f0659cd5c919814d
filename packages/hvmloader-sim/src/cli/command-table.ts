/**
 * The `hvmloader-sim` subcommands, as data: name, one-line summary, usage, and the module that
 * runs it (loaded only when used). A new subcommand is one entry here and one module beside it.
 */
import type { SubcommandModule } from './context.ts';
import { BOOT_LINUX_SUMMARY, BOOT_LINUX_USAGE } from './boot-linux.ts';

export interface Subcommand {
  readonly name: string;
  readonly summary: string;
  /** Full usage text, ending with a newline. */
  readonly usage: string;
  readonly load: () => Promise<SubcommandModule>;
}

export const TABLES_USAGE = 'usage: hvmloader-sim tables --generation-id <lo:hi> --out <dir> [--vcpus <n>] [--no-acpi]\n';
export const READ_USAGE = 'usage: hvmloader-sim read <dir | table-file> [--memory <dir>] [--json]\n';

export const subcommands: readonly Subcommand[] = [
  {
    name: 'tables',
    summary: "Run the firmware on a scratch domain and dump its ACPI tables and guest pages",
    usage: TABLES_USAGE,
    load: () => import('./tables.ts'),
  },
  {
    name: 'read',
    summary: 'Read the VM Generation ID from a dump or a DSDT file as a guest OS would',
    usage: READ_USAGE,
    load: () => import('./read.ts'),
  },
  {
    name: 'boot-linux',
    summary: BOOT_LINUX_SUMMARY,
    usage: BOOT_LINUX_USAGE,
    load: () => import('./boot-linux.ts'),
  },
];

/** The subcommand named exactly `name`, else the only one starting with it. */
export function findSubcommand(name: string): Subcommand | undefined {
  const exact = subcommands.find((command) => command.name === name);
  if (exact) return exact;
  const candidates = subcommands.filter((command) => command.name.startsWith(name));
  return candidates.length === 1 ? candidates[0] : undefined;
}
