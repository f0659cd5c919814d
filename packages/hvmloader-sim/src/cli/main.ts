/**
 * The `hvmloader-sim` command line: picks the subcommand from the table and runs it. The only
 * place that turns errors into messages and exit statuses.
 */
import { HvmloaderError } from '../errors.ts';
import { findSubcommand, subcommands } from './command-table.ts';
import type { CliContext } from './context.ts';

export function usageText(): string {
  const width = Math.max(...subcommands.map((command) => command.name.length));
  const lines = subcommands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return `usage: hvmloader-sim <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun "hvmloader-sim <command> --help" for a command's options.\n`;
}

/** Runs `hvmloader-sim <args>`; returns the exit status. */
export async function runCli(args: readonly string[], context: CliContext): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined) {
    context.stderr.write(usageText());
    return 2;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    context.stdout.write(usageText());
    return 0;
  }
  const command = findSubcommand(name);
  if (!command) {
    context.stderr.write(`hvmloader-sim: unknown command "${name}"\n${usageText()}`);
    return 2;
  }
  try {
    const module = await command.load();
    return await module.run(rest, context);
  } catch (error) {
    if (HvmloaderError.is(error)) {
      context.stderr.write(`hvmloader-sim ${command.name}: ${error.message}\n`);
      return 1;
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    context.stderr.write(`hvmloader-sim ${command.name}: internal error, please report: ${message}\n`);
    return 70;
  }
}
