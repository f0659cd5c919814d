/**
 * The `xl` command table (tools/xl/xl_cmdtable.c), as data: xl 4.17's commands with their text
 * (`xl-cmdtable.ts`), the options of those this package implements (option parsing follows
 * them), and the commands beyond Xen. Commands are loaded only when run. Add a command by adding
 * an implementation here and a module under `commands/`.
 */
import type { CommandContext, CommandInput } from './command-context.ts';
import type { ButtonPressOptions } from './commands/button-press.ts';
import type { ConsoleOptions } from './commands/console.ts';
import type { CreateOptions } from './commands/create.ts';
import type { DestroyOptions } from './commands/destroy.ts';
import type { DomidOptions } from './commands/domid.ts';
import type { DomnameOptions } from './commands/domname.ts';
import type { ListOptions } from './commands/list.ts';
import type { MigrateOptions } from './commands/migrate.ts';
import type { MigrateReceiveOptions } from './commands/migrate-receive.ts';
import type { PauseOptions } from './commands/pause.ts';
import type { RebootOptions } from './commands/reboot.ts';
import type { RestoreOptions } from './commands/restore.ts';
import type { SaveOptions } from './commands/save.ts';
import type { ShutdownOptions } from './commands/shutdown.ts';
import type { UnpauseOptions } from './commands/unpause.ts';
import type { TriggerOptions } from './commands/trigger.ts';
import type { VmGenidOptions } from './commands/vm-genid.ts';
import type { VmListOptions } from './commands/vm-list.ts';
import type { RenameOptions } from './commands/rename.ts';
import type { UptimeOptions } from './commands/uptime.ts';
import type { DmesgOptions } from './commands/dmesg.ts';
import type { InfoOptions } from './commands/info.ts';
import type { ConfigUpdateOptions } from './commands/config-update.ts';
import { XL_417_COMMANDS, type XlCommandText } from './xl-cmdtable.ts';
import { XL_EXIT, XlCliError } from './errors.ts';

/** One option of a command, as its getopt string and long options declare it. */
export interface OptionSpec {
  /** The one-letter form (`-p`). */
  readonly short?: string;
  /** The long form (`--dryrun`). */
  readonly long?: string;
  /** Whether the option takes a value (`-f FILE`); a flag when omitted. */
  readonly value?: true;
  /** A flag counted each time it is given (`-ww`): its value is the count, 0 when absent. */
  readonly repeat?: true;
}

/** Option values: flags are booleans, options with a value are strings. */
export type OptionValues = Record<string, boolean | number | string | undefined>;

/** A command module under `commands/`. */
export interface CommandModule<Options> {
  run(input: CommandInput<Options>, context: CommandContext): Promise<number> | number;
}

/** How this package runs a command: its options, required arguments and module. */
export interface CommandImplementation<Options = OptionValues> {
  readonly name: string;
  readonly options: { readonly [Key in keyof Options]: OptionSpec };
  /** How many positional arguments are required (xl's `reqargs`). */
  readonly requiredArgs?: number;
  /** Printed on stderr before the options are read (`xl button-press`'s deprecation warning). */
  readonly warning?: string;
  /**
   * The command reads its leading arguments before its options (`main_config_update` takes its
   * domain, then a config file, first): its module gets the arguments unparsed, and parses the
   * rest with `CommandInput.readOptions`.
   */
  readonly argumentsFirst?: true;
  readonly load: () => Promise<CommandModule<Options>>;
}

/** A command of the table: xl's text, and how it runs when this package implements it. */
export interface CommandSpec<Options = OptionValues> extends XlCommandText {
  readonly options: { readonly [Key in keyof Options]: OptionSpec };
  readonly requiredArgs?: number;
  readonly warning?: string;
  readonly argumentsFirst?: true;
  /**
   * A command real xl does not have: found only by its whole name (a prefix finds only xl's own
   * commands, so every prefix means what it means to real xl) and left out of `xl help`'s list.
   */
  readonly beyondXen?: boolean;
  /** Absent for a command of xl's table that this package does not implement. */
  readonly load?: () => Promise<CommandModule<Options>>;
}

/** Declares how a command runs; the options object must name every key of `Options`. */
export function defineCommand<Options>(implementation: CommandImplementation<Options>): CommandImplementation {
  return implementation as unknown as CommandImplementation;
}

const implemented: readonly CommandImplementation[] = [
  defineCommand<CreateOptions>({
    name: 'create',
    options: {
      paused: { short: 'p' },
      console: { short: 'c' },
      defconfig: { short: 'f', long: 'defconfig', value: true },
      quiet: { short: 'q', long: 'quiet' },
      dryrun: { short: 'n', long: 'dryrun' },
      debug: { short: 'd' },
      foreground: { short: 'F' },
      noWait: { short: 'e' },
      vncviewer: { short: 'V', long: 'vncviewer' },
      vncviewerAutopass: { short: 'A', long: 'vncviewer-autopass' },
      ignoreGlobalAffinityMasks: { short: 'i', long: 'ignore-global-affinity-masks' },
    },
    load: () => import('./commands/create.ts'),
  }),
  defineCommand<ListOptions>({
    name: 'list',
    options: {
      long: { short: 'l', long: 'long' },
      verbose: { short: 'v', long: 'verbose' },
      context: { short: 'Z', long: 'context' },
      cpupool: { short: 'c', long: 'cpupool' },
      numa: { short: 'n', long: 'numa' },
    },
    load: () => import('./commands/list.ts'),
  }),
  defineCommand<DestroyOptions>({
    name: 'destroy',
    requiredArgs: 1,
    options: { force: { short: 'f' } },
    load: () => import('./commands/destroy.ts'),
  }),
  defineCommand<ShutdownOptions>({
    name: 'shutdown',
    options: { all: { short: 'a', long: 'all' }, wait: { short: 'w', long: 'wait', repeat: true }, fallback: { short: 'F' } },
    load: () => import('./commands/shutdown.ts'),
  }),
  defineCommand<RebootOptions>({
    name: 'reboot',
    options: { all: { short: 'a', long: 'all' }, wait: { short: 'w', long: 'wait', repeat: true }, fallback: { short: 'F' } },
    load: () => import('./commands/reboot.ts'),
  }),
  defineCommand<PauseOptions>({ name: 'pause', requiredArgs: 1, options: {}, load: () => import('./commands/pause.ts') }),
  defineCommand<UnpauseOptions>({ name: 'unpause', requiredArgs: 1, options: {}, load: () => import('./commands/unpause.ts') }),
  defineCommand<SaveOptions>({
    name: 'save',
    requiredArgs: 2,
    options: { checkpoint: { short: 'c' }, leavePaused: { short: 'p' }, preserveDomid: { short: 'D' } },
    load: () => import('./commands/save.ts'),
  }),
  defineCommand<MigrateOptions>({
    name: 'migrate',
    requiredArgs: 2,
    options: {
      config: { short: 'C', value: true },
      sshCommand: { short: 's', value: true },
      noWait: { short: 'e' },
      debug: { long: 'debug' },
      paused: { short: 'p' },
      preserveDomid: { short: 'D' },
      foreground: { short: 'F' },
      live: { long: 'live' },
    },
    load: () => import('./commands/migrate.ts'),
  }),
  defineCommand<RestoreOptions>({
    name: 'restore',
    requiredArgs: 1,
    options: {
      console: { short: 'c' },
      paused: { short: 'p' },
      noWait: { short: 'e' },
      debug: { short: 'd' },
      foreground: { short: 'F' },
      vncviewer: { short: 'V', long: 'vncviewer' },
      vncviewerAutopass: { short: 'A', long: 'vncviewer-autopass' },
    },
    load: () => import('./commands/restore.ts'),
  }),
  defineCommand<MigrateReceiveOptions>({
    name: 'migrate-receive',
    options: {
      foreground: { short: 'F' },
      noWait: { short: 'e' },
      debug: { short: 'd' },
      remus: { short: 'r' },
      paused: { short: 'p' },
      colo: { long: 'colo' },
      coloftScript: { long: 'coloft-script', value: true },
      userspaceColoProxy: { long: 'userspace-colo-proxy' },
    },
    load: () => import('./commands/migrate-receive.ts'),
  }),
  defineCommand<VmListOptions>({ name: 'vm-list', options: {}, load: () => import('./commands/vm-list.ts') }),
  defineCommand<RenameOptions>({ name: 'rename', requiredArgs: 2, options: {}, load: () => import('./commands/rename.ts') }),
  defineCommand<UptimeOptions>({ name: 'uptime', options: { short: { short: 's' } }, load: () => import('./commands/uptime.ts') }),
  defineCommand<ConfigUpdateOptions>({
    name: 'config-update',
    argumentsFirst: true,
    options: { defconfig: { short: 'f', long: 'defconfig', value: true }, debug: { short: 'd' }, quiet: { short: 'q' } },
    load: () => import('./commands/config-update.ts'),
  }),
  defineCommand<DmesgOptions>({ name: 'dmesg', options: { clear: { short: 'c', long: 'clear' } }, load: () => import('./commands/dmesg.ts') }),
  defineCommand<InfoOptions>({ name: 'info', options: { numa: { short: 'n', long: 'numa' } }, load: () => import('./commands/info.ts') }),
  defineCommand<ConsoleOptions>({
    name: 'console',
    requiredArgs: 1,
    options: { type: { short: 't', value: true }, num: { short: 'n', value: true } },
    load: () => import('./commands/console.ts'),
  }),
  defineCommand<TriggerOptions>({ name: 'trigger', requiredArgs: 2, options: {}, load: () => import('./commands/trigger.ts') }),
  defineCommand<ButtonPressOptions>({
    name: 'button-press',
    requiredArgs: 2,
    options: {},
    warning: 'WARNING: "button-press" is deprecated. Please use "trigger"\n',
    load: () => import('./commands/button-press.ts'),
  }),
  defineCommand<DomidOptions>({ name: 'domid', requiredArgs: 1, options: {}, load: () => import('./commands/domid.ts') }),
  defineCommand<DomnameOptions>({ name: 'domname', requiredArgs: 1, options: {}, load: () => import('./commands/domname.ts') }),
];

/** `xl vm-genid` (beyond Xen: real xl has no such command), after xl's own. */
const VM_GENID: CommandSpec = {
  ...defineCommand<VmGenidOptions>({
    name: 'vm-genid',
    requiredArgs: 0,
    options: {
      new: { short: 'n', long: 'new' },
      set: { short: 's', long: 'set', value: true },
      format: { long: 'format', value: true },
      json: { long: 'json' },
      history: { long: 'history' },
      html: { long: 'html', value: true },
    },
    load: () => import('./commands/vm-genid.ts'),
  }),
  beyondXen: true,
  canDryRun: false,
  modifies: true,
  description: "Show a domain's VM Generation ID, or renew it and notify the guest",
  usage: '[options] <Domain> | --history --html=FILE [<Domain>]',
  optionText:
    '-h                      Print this help.\n' +
    '-n, --new               Give the running domain a new random ID, written to guest\n' +
    '                        memory, xenstore and the stored config, then notify the\n' +
    '                        guest (ACPI).\n' +
    '-s ID, --set=ID         Give the domain ID (a GUID, xenstore lo:hi, 32 hex digits,\n' +
    '                        or form:value); notify the guest if it changed.\n' +
    '--format=FORMAT         Print each view as xenstore, guid, hex, hyperv or vmware\n' +
    '                        (default: all of them).\n' +
    '--json                  Print {config, xenstore, guest, notifications}.\n' +
    '--history               Print the ID\'s timeline: created, each guest read and\n' +
    '                        notify, each save, restore, migration and renewal with\n' +
    '                        the policy row that kept or renewed it (--json: as JSON).\n' +
    '--html=FILE             With --history: write one page of the host\'s domains (or\n' +
    '                        <Domain>), each ID\'s three views and timeline.',
};

/**
 * xl 4.17's whole table in its order (the text of each command from `XL_417_COMMANDS`, how it runs
 * where this package implements it), then the commands beyond Xen.
 */
export const commandTable: readonly CommandSpec[] = [
  ...XL_417_COMMANDS.map((text): CommandSpec => {
    const implementation = implemented.find((command) => command.name === text.name);
    return implementation ? { ...text, ...implementation } : { ...text, options: {} };
  }),
  VM_GENID,
];

/**
 * `cmdtable_lookup` (tools/xl/xl_cmdtable.c): the command named exactly `name`, else the one
 * command of xl's table `name` is a prefix of; a prefix of several (`sh`, `de`, `vm`) finds nothing.
 */
export function lookupCommand(name: string, table: readonly CommandSpec[] = commandTable): CommandSpec | undefined {
  const exact = table.find((command) => command.name === name);
  if (exact) return exact;
  const matches = table.filter((command) => !command.beyondXen && command.name.startsWith(name));
  return matches.length === 1 ? matches[0] : undefined;
}

/** `help(command)` for one command (tools/xl/xl.c): usage, description and xl's option text. */
export function formatCommandHelp(spec: CommandSpec): string {
  const flags = `${spec.modifies ? 'f' : ''}${spec.canDryRun ? 'N' : ''}`;
  const options = spec.optionText === undefined ? '' : `Options:\n\n${spec.optionText}\n`;
  return `Usage: xl [-vtT${flags}] ${spec.name} ${spec.usage}\n\n${spec.description}.\n\n${options}`;
}

/** `help(NULL)`: the full list (tools/xl/xl.c). */
export function formatFullHelp(table: readonly CommandSpec[] = commandTable): string {
  let text = 'Usage xl [-vfNtT] <subcommand> [args]\n\nxl full list of subcommands:\n\n';
  for (const command of table) {
    if (command.beyondXen) continue;
    text += ` ${command.name.padEnd(19)} `;
    if (command.name.length > 19) text += `\n ${''.padEnd(19)} `;
    text += `${command.description}\n`;
  }
  return text;
}

/** Outcome of parsing a command's arguments. */
export type ParsedCommandLine =
  | { readonly kind: 'ok'; readonly options: OptionValues; readonly args: string[] }
  | { readonly kind: 'help' };

/**
 * Parses a command's arguments as xl's `def_getopt` (getopt_long, permuting): flags may be
 * grouped (`-pq`), values follow (`-f FILE`, `-fFILE`, `--defconfig=FILE`, `--defconfig FILE`),
 * `--` ends options; `-h` asks for help; an unknown option fails as `option `x' not supported.`
 * (exit 2), missing arguments as `'xl C' requires at least N arguments.` and the usage (exit 2).
 */
export function parseCommandLine(spec: CommandSpec, argv: readonly string[]): ParsedCommandLine {
  const options: OptionValues = {};
  const args: string[] = [];
  const entries = Object.entries(spec.options) as Array<[string, OptionSpec]>;
  for (const [key, option] of entries) options[key] = option.value ? undefined : option.repeat ? 0 : false;
  const setFlag = (key: string, option: OptionSpec): void => {
    options[key] = option.repeat ? Number(options[key]) + 1 : true;
  };
  const unsupported = (letter: string): never => {
    throw new XlCliError(`option \`${letter}' not supported.`, { exitCode: XL_EXIT.USAGE });
  };
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index]!;
    if (arg === '--') {
      args.push(...argv.slice(index + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
      if (name === 'help') return { kind: 'help' };
      const found = entries.find(([, option]) => option.long === name);
      if (!found) return unsupported('\0');
      const [key, option] = found;
      if (option.value) {
        const value = inline ?? argv[++index];
        if (value === undefined) return unsupported(option.short ?? '\0');
        options[key] = value;
      } else {
        // getopt_long: `--flag=value` is an error, reported with the option's letter.
        if (inline !== undefined) return unsupported(option.short ?? '\0');
        setFlag(key, option);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let position = 1; position < arg.length; position += 1) {
        const letter = arg[position]!;
        if (letter === 'h') return { kind: 'help' };
        const found = entries.find(([, option]) => option.short === letter);
        if (!found) return unsupported(letter);
        const [key, option] = found;
        if (option.value) {
          const value = position + 1 < arg.length ? arg.slice(position + 1) : argv[++index];
          if (value === undefined) return unsupported(letter);
          options[key] = value;
          break;
        }
        setFlag(key, option);
      }
      continue;
    }
    args.push(arg);
  }
  if (spec.requiredArgs && args.length < spec.requiredArgs) {
    // def_getopt: the message on stderr, then help(cmd) on stdout.
    const plural = spec.requiredArgs > 1 ? 's' : '';
    throw new XlCliError(`'xl ${spec.name}' requires at least ${spec.requiredArgs} argument${plural}.\n`, { exitCode: XL_EXIT.USAGE, usage: true });
  }
  return { kind: 'ok', options, args };
}
