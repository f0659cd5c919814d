/**
 * `xl`'s main (tools/xl/xl.c): global options, command lookup by exact name or unique prefix,
 * the `-N` check, and the one place where failures become messages and exit statuses.
 */
import { XL_EXIT, XlCliError } from './errors.ts';
import { isLibxlError, libxlErrorLine } from './toolstack/report.ts';
import { strerrorOf } from '@xen-genid/xl-lib/errors';
import { commandTable, formatCommandHelp, lookupCommand, parseCommandLine, type CommandSpec } from './command-table.ts';
import type { CommandContext, GlobalOptions, OutputStream } from './command-context.ts';

/** A write to stdout failed: xl ends with `xl: error writing stdout: <reason>`. */
class StdoutFailed {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

/** `stdout` with its failures told apart from the command's own. */
function guardedStdout(stdout: OutputStream): OutputStream & { flush(): Promise<void> } {
  return {
    write(chunk) {
      try {
        return stdout.write(chunk);
      } catch (error) {
        throw new StdoutFailed(error);
      }
    },
    async flush() {
      try {
        await stdout.flush?.();
      } catch (error) {
        throw new StdoutFailed(error);
      }
    },
  };
}

/**
 * Runs `xl` with `argv` (the arguments after the program name); resolves to the exit status.
 * Every failure is reported here: an `XlCliError` (after libxl's own line when it wraps one), a
 * host file that cannot be used, a failed write to stdout, and anything else as an internal error.
 */
export async function main(argv: readonly string[], context: CommandContext): Promise<number> {
  const stdout = guardedStdout(context.stdout);
  const guarded: CommandContext = { ...context, stdout };
  let running: CommandSpec | undefined;
  try {
    const status = await dispatch(argv, guarded, (spec) => {
      running = spec;
    });
    await stdout.flush();
    return status;
  } catch (error) {
    if (error instanceof StdoutFailed) {
      context.stderr.write(`xl: error writing stdout: ${strerrorOf(error.error)}\n`);
      return XL_EXIT.FAILURE;
    }
    if (XlCliError.is(error)) {
      if (error.logsCause && isLibxlError(error.cause)) context.stderr.write(libxlErrorLine(error.cause));
      if (error.message !== '') context.stderr.write(`${error.message}\n`);
      const usageOf = typeof error.usage === 'string' ? lookupCommand(error.usage) : error.usage ? running : undefined;
      if (usageOf) context.stdout.write(formatCommandHelp(usageOf));
      return error.exitCode;
    }
    if (isLibxlError(error)) {
      context.stderr.write(libxlErrorLine(error));
      return XL_EXIT.FAILURE;
    }
    // The host file's errors, recognised by their marker so that starting `xl` does not load the host package.
    if (typeof error === 'object' && error !== null && Symbol.for('xen-genid.host.HostError') in error) {
      context.stderr.write(`xl: ${(error as Error).message}\n`);
      return XL_EXIT.FAILURE;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    context.stderr.write(`xl: internal error, please report: ${detail}\n`);
    return XL_EXIT.FAILURE;
  }
}

async function dispatch(argv: readonly string[], context: CommandContext, onCommand: (spec: CommandSpec) => void): Promise<number> {
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
        // getopt reports the letter (opterr is still set for the global options), then xl's line.
        context.stderr.write(`${context.programName ?? 'xl'}: invalid option -- '${letter}'\nunknown global option\n`);
        return XL_EXIT.FAILURE;
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
    return XL_EXIT.FAILURE;
  }
  const rest = argv.slice(index + 1);
  const spec = lookupCommand(name, commandTable);
  if (!spec) {
    if (name === 'help') return help(rest[0]);
    throw new XlCliError('command not implemented');
  }
  if (dryRun && !spec.canDryRun) {
    context.stderr.write('command does not implement -N (dryrun) option\n');
    return XL_EXIT.FAILURE;
  }
  onCommand(spec);
  if (spec.warning !== undefined) context.stderr.write(spec.warning);
  if (!spec.load) {
    // A command of xl's table that is not implemented here: its help, as xl prints it, or nothing.
    if (!rest.some((arg) => arg === '--help' || /^-[^-]*h/.test(arg))) throw new XlCliError('command not implemented');
    context.stdout.write(formatCommandHelp(spec));
    return XL_EXIT.OK;
  }
  if (spec.argumentsFirst) {
    const module = await spec.load();
    const readOptions = (argv: readonly string[]): ReturnType<typeof parseCommandLine> => parseCommandLine(spec, argv);
    return module.run({ options: {}, args: rest, argv: rest, global, readOptions }, context);
  }
  const parsed = parseCommandLine(spec, rest);
  if (parsed.kind === 'help') {
    context.stdout.write(formatCommandHelp(spec));
    return XL_EXIT.OK;
  }
  const module = await spec.load();
  return module.run({ options: parsed.options, args: parsed.args, argv: rest, global }, context);
}
