/**
 * The `hvmloader-sim` subcommands, as data: name, one-line summary, usage, and the module that
 * runs it (loaded only when used). A new subcommand is one entry here and one module beside it.
 */
import type { SubcommandModule } from './context.ts';
import { READ_USAGE, TABLES_USAGE } from './usage.ts';

export interface Subcommand {
  readonly name: string;
  readonly summary: string;
  /** Full usage text, ending with a newline. */
  readonly usage: string;
  readonly load: () => Promise<SubcommandModule>;
}

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
];

/** The subcommand named exactly `name`, else the only one starting with it. */
export function findSubcommand(name: string): Subcommand | undefined {
  const exact = subcommands.find((command) => command.name === name);
  if (exact) return exact;
  const candidates = subcommands.filter((command) => command.name.startsWith(name));
  return candidates.length === 1 ? candidates[0] : undefined;
}
