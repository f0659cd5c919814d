/**
 * `xl`'s main (tools/xl/xl.c): global options, command lookup by exact name or unique prefix,
 * the `-N` check, and the one place where failures become messages and exit statuses.
 */
import { XlCliError } from './errors.ts';
import {
  commandTable,
  formatCommandHelp,
  lookupCommand,
  parseCommandLine,
  type CommandContext,
  type GlobalOptions,
} from './command-table.ts';

/** Runs `xl` with `argv` (the arguments after the program name); resolves to the exit status. */
export async function main(argv: readonly string[], context: CommandContext): Promise<number> {
  try {
    return await dispatch(argv, context);
  } catch (error) {
    if (XlCliError.is(error)) {
      context.stderr.write(`xl: ${error.message}\n`);
      return error.exitCode;
    }
    // libxl's and the host file's errors, recognised by their markers so that starting `xl`
    // does not load xl-lib or the host package.
    if (hasMarker(error, 'xen-genid.xl-lib.XlError') || hasMarker(error, 'xen-genid.host.HostError')) {
      context.stderr.write(`xl: ${(error as Error).message}\n`);
      return 1;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    context.stderr.write(`xl: internal error, please report: ${detail}\n`);
    return 1;
  }
}

function hasMarker(value: unknown, name: string): boolean {
  return typeof value === 'object' && value !== null && Symbol.for(name) in value;
}

async function dispatch(argv: readonly string[], context: CommandContext): Promise<number> {
  let verbose = 0;
  let dryRun = false;
  let force = false;
  let progressUseCr = false;
  let index = 0;
  // getopt "+vftN": global options stop at the first non-option (the command).
  for (; index < argv.length; index += 1) {
    const arg = argv[index]!;
    if (arg === '--') {
      index += 1;
      break;
    }
    if (!arg.startsWith('-') || arg.length === 1) break;
    for (const letter of arg.slice(1)) {
      if (letter === 'v') verbose += 1;
      else if (letter === 'N') dryRun = true;
      else if (letter === 'f') force = true;
      else if (letter === 't') progressUseCr = true;
      else if (letter === 'T') continue;
      else {
        context.stderr.write('unknown global option\n');
        return 1;
      }
    }
  }
  const name = argv[index];
  const help = async (topic: string | undefined): Promise<number> => {
    const module = await import('./commands/help.ts');
    const args = topic === undefined ? [] : [topic];
    return module.run({ options: {}, args, argv: args, global }, context);
  };
  const global: GlobalOptions = { verbose, dryRun, force, progressUseCr };
  if (name === undefined) {
    await help(undefined);
    return 1;
  }
  const rest = argv.slice(index + 1);
  const spec = lookupCommand(name, commandTable);
  if (!spec) {
    if (name === 'help') return help(rest[0]);
    context.stderr.write('command not implemented\n');
    return 1;
  }
  if (dryRun && !spec.canDryRun) {
    context.stderr.write('command does not implement -N (dryrun) option\n');
    return 1;
  }
  const parsed = parseCommandLine(spec, rest);
  if (parsed.kind === 'help') {
    context.stdout.write(formatCommandHelp(spec));
    return 0;
  }
  if (parsed.kind === 'error') {
    context.stderr.write(parsed.message);
    return parsed.exitCode;
  }
  const module = await spec.load();
  return module.run({ options: parsed.options, args: parsed.args, argv: rest, global }, context);
}
