/**
 * `xl help [command]` (help in tools/xl/xl.c): the full command list, or one command's usage,
 * summary and options, all generated from the command table.
 */
import { formatCommandHelp, formatFullHelp, lookupCommand } from '../command-table.ts';
import type { CommandContext, CommandInput } from '../command-context.ts';
import { XL_EXIT } from '../errors.ts';

export type HelpOptions = Record<string, never>;

export function run(input: CommandInput<HelpOptions>, context: CommandContext): number {
  const topic = input.args[0];
  if (topic === undefined || topic === 'help') {
    context.stdout.write(formatFullHelp());
    return XL_EXIT.OK;
  }
  const spec = lookupCommand(topic);
  context.stdout.write(spec ? formatCommandHelp(spec) : `command "${topic}" not implemented\n`);
  return XL_EXIT.OK;
}
