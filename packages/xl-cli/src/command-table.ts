/**
 * The `xl` command table (tools/xl/xl_cmdtable.c), as data: each command's name, usage,
 * summary, whether it honours the global `-N` (`can_dryrun`) and changes the host (`modifies`),
 * and its options. Option parsing and `xl help` are generated from this table; commands are
 * loaded only when run. Add a command by adding an entry here and a module under `commands/`.
 */
import type { RandomSource } from '@xen-genid/xl-lib';
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
import type { VmGenidOptions } from './commands/vm-genid.ts';
import type { ToolstackParts } from './toolstack/open-toolstack.ts';

/** Where a command writes: what `process.stdout`/`stderr` are to the real `xl`. */
export interface OutputStream {
  /** Writes a chunk; may throw the write's error. */
  write(chunk: string | Uint8Array): unknown;
  /** Resolves once everything written is out; rejects with the error of a failed write. */
  flush?(): Promise<void>;
}

/** Everything a command may touch; only `bin/xl.ts` builds this from `process`. */
export interface CommandContext {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** Reads a whole file (as `libxl_read_file_contents`); throws the usual Node errors. */
  readonly readFile: (path: string) => Uint8Array;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Random bytes for uuids and generation IDs (default: the OS CSPRNG). */
  readonly random?: RandomSource;
  /** Standard input (`xl migrate-receive` reads the stream from it); default the process's. */
  readonly stdin?: AsyncIterable<Uint8Array>;
  /** Whether stderr is a terminal: long operations show progress only then; default the process's. */
  readonly stderrIsTTY?: boolean;
  /** The machine the commands act on; default the host file the environment names. */
  readonly toolstack?: ToolstackParts;
}

/** The global options of `xl` (before the command name). */
export interface GlobalOptions {
  /** `-v`, repeatable. */
  readonly verbose: number;
  /** `-N`: dry run. */
  readonly dryRun: boolean;
  /** `-f`: force. */
  readonly force: boolean;
  /** `-t`: draw progress with carriage returns even when stderr is not a terminal (xl's `progress_use_cr`). */
  readonly progressUseCr?: boolean;
}

/** What a command receives: its parsed options, positional arguments and the global options. */
export interface CommandInput<Options> {
  readonly options: Options;
  readonly args: readonly string[];
  /** The command's arguments as given, before option parsing. */
  readonly argv: readonly string[];
  readonly global: GlobalOptions;
}

/** One option of a command. */
export interface OptionSpec {
  /** The one-letter form (`-p`). */
  readonly short?: string;
  /** The long form (`--dryrun`). */
  readonly long?: string;
  /** Name of the value this option takes (`FILE`); a flag when omitted. */
  readonly value?: string;
  readonly help: string;
}

/** Option values: flags are booleans, options with a value are strings. */
export type OptionValues = Record<string, boolean | string | undefined>;

/** A command module under `commands/`. */
export interface CommandModule<Options> {
  run(input: CommandInput<Options>, context: CommandContext): Promise<number> | number;
}

export interface CommandSpec<Options = OptionValues> {
  readonly name: string;
  /** Usage after the command name (`cmd_usage`). */
  readonly args: string;
  /** One line, without the final full stop (`cmd_desc`). */
  readonly summary: string;
  /** `can_dryrun`: whether the global `-N` is accepted. */
  readonly canDryRun: boolean;
  /** `modifies`: whether the command changes the host (shows `-f` in its usage). */
  readonly modifies: boolean;
  readonly options: { readonly [Key in keyof Options]: OptionSpec };
  /** How many positional arguments are required (xl's `reqargs`). */
  readonly requiredArgs?: number;
  readonly load: () => Promise<CommandModule<Options>>;
}

/** Declares a command; the options object must name every key of `Options`. */
export function defineCommand<Options>(spec: CommandSpec<Options>): CommandSpec<OptionValues> {
  return spec as unknown as CommandSpec<OptionValues>;
}

export const commandTable: readonly CommandSpec[] = [
  defineCommand<CreateOptions>({
    name: 'create',
    args: '<ConfigFile> [options] [vars]',
    summary: 'Create a domain from config file <filename>',
    canDryRun: true,
    modifies: true,
    options: {
      paused: { short: 'p', help: 'Leave the domain paused after it is created.' },
      console: { short: 'c', help: 'Connect to the console after the domain is created.' },
      defconfig: { short: 'f', long: 'defconfig', value: 'FILE', help: 'Use the given configuration file.' },
      quiet: { short: 'q', long: 'quiet', help: 'Quiet.' },
      dryrun: {
        short: 'n',
        long: 'dryrun',
        help: 'Dry run - prints the resulting configuration\n (deprecated in favour of global -N option).',
      },
      debug: { short: 'd', help: 'Enable debug messages.' },
      foreground: { short: 'F', help: 'Run in foreground until death of the domain.' },
      noWait: { short: 'e', help: 'Do not wait in the background for the death of the domain.' },
      vncviewer: { short: 'V', long: 'vncviewer', help: 'Connect to the VNC display after the domain is created.' },
      vncviewerAutopass: { short: 'A', long: 'vncviewer-autopass', help: 'Pass VNC password to viewer via stdin.' },
      ignoreGlobalAffinityMasks: { short: 'i', long: 'ignore-global-affinity-masks', help: 'Ignore global masks in xl.conf.' },
    },
    load: () => import('./commands/create.ts'),
  }),
  defineCommand<ListOptions>({
    name: 'list',
    args: '[options] [Domain]',
    summary: 'List information about all/some domains',
    canDryRun: false,
    modifies: false,
    options: {
      long: { short: 'l', long: 'long', help: 'Output all VM details' },
    },
    load: () => import('./commands/list.ts'),
  }),
  defineCommand<DestroyOptions>({
    name: 'destroy',
    args: '[options] <Domain>',
    summary: 'Terminate a domain immediately',
    canDryRun: false,
    modifies: true,
    requiredArgs: 1,
    options: {
      force: {
        short: 'f',
        help: 'Permit destroying domain 0, which will only succeed\n when run from disaggregated toolstack domain with a\n hardware domain distinct from domain 0.',
      },
    },
    load: () => import('./commands/destroy.ts'),
  }),
  defineCommand<ShutdownOptions>({
    name: 'shutdown',
    args: '[options] <-a|Domain>',
    summary: 'Issue a shutdown signal to a domain',
    canDryRun: false,
    modifies: true,
    options: {
      all: { short: 'a', long: 'all', help: 'Shutdown all guest domains.' },
      wait: { short: 'w', long: 'wait', help: 'Wait for guest(s) to shutdown.' },
      fallback: { short: 'F', help: 'Fallback to ACPI power event for HVM guests with\n no PV drivers.' },
    },
    load: () => import('./commands/shutdown.ts'),
  }),
  defineCommand<RebootOptions>({
    name: 'reboot',
    args: '[options] <-a|Domain>',
    summary: 'Issue a reboot signal to a domain',
    canDryRun: false,
    modifies: true,
    options: {
      all: { short: 'a', long: 'all', help: 'Shutdown all guest domains.' },
      wait: { short: 'w', long: 'wait', help: 'Wait for guest(s) to reboot.' },
      fallback: { short: 'F', help: 'Fallback to ACPI reset event for HVM guests with\n no PV drivers.' },
    },
    load: () => import('./commands/reboot.ts'),
  }),
  defineCommand<PauseOptions>({
    name: 'pause',
    args: '<Domain>',
    summary: 'Pause execution of a domain',
    canDryRun: false,
    modifies: true,
    requiredArgs: 1,
    options: {},
    load: () => import('./commands/pause.ts'),
  }),
  defineCommand<UnpauseOptions>({
    name: 'unpause',
    args: '<Domain>',
    summary: 'Unpause a paused domain',
    canDryRun: false,
    modifies: true,
    requiredArgs: 1,
    options: {},
    load: () => import('./commands/unpause.ts'),
  }),
  defineCommand<SaveOptions>({
    name: 'save',
    args: '[options] <Domain> <CheckpointFile> [<ConfigFile>]',
    summary: 'Save a domain state to restore later',
    canDryRun: false,
    modifies: true,
    requiredArgs: 2,
    options: {
      checkpoint: { short: 'c', help: 'Leave domain running after creating the snapshot.' },
      leavePaused: { short: 'p', help: 'Leave domain paused after creating the snapshot.' },
      preserveDomid: { short: 'D', help: 'Store the domain id in the configuration.' },
    },
    load: () => import('./commands/save.ts'),
  }),
  defineCommand<MigrateOptions>({
    name: 'migrate',
    args: '[options] <Domain> <host>',
    summary: 'Migrate a domain to another host',
    canDryRun: false,
    modifies: true,
    requiredArgs: 2,
    options: {
      config: { short: 'C', value: 'config', help: 'Send <config> instead of config file from creation.' },
      sshCommand: {
        short: 's',
        value: 'sshcommand',
        help: 'Use <sshcommand> instead of ssh.  String will be passed\n to sh. If empty, run <host> instead of ssh <host> xl\n migrate-receive [-d -e]',
      },
      noWait: { short: 'e', help: 'Do not wait in the background (on <host>) for the death\n of the domain.' },
      debug: { long: 'debug', help: 'Print huge (!) amount of debug during the migration process.' },
      paused: { short: 'p', help: 'Do not unpause domain after migrating it.' },
      preserveDomid: { short: 'D', help: 'Preserve the domain id' },
      foreground: { short: 'F', help: 'Run in the foreground on <host>.' },
      live: { long: 'live', help: 'Ignored (compatibility with xm).' },
    },
    load: () => import('./commands/migrate.ts'),
  }),
  defineCommand<RestoreOptions>({
    name: 'restore',
    args: '[options] [<ConfigFile>] <CheckpointFile>',
    summary: 'Restore a domain from a saved state',
    canDryRun: false,
    modifies: true,
    requiredArgs: 1,
    options: {
      paused: { short: 'p', help: 'Do not unpause domain after restoring it.' },
      noWait: { short: 'e', help: 'Do not wait in the background for the death of the domain.' },
      debug: { short: 'd', help: 'Enable debug messages.' },
      foreground: { short: 'F', help: 'Run in the foreground.' },
      vncviewer: { short: 'V', long: 'vncviewer', help: 'Connect to the VNC display after the domain is created.' },
      vncviewerAutopass: { short: 'A', long: 'vncviewer-autopass', help: 'Pass VNC password to viewer via stdin.' },
    },
    load: () => import('./commands/restore.ts'),
  }),
  defineCommand<MigrateReceiveOptions>({
    name: 'migrate-receive',
    args: '- for internal use only',
    summary: 'Restore a domain from a saved state',
    canDryRun: false,
    modifies: true,
    options: {
      foreground: { short: 'F', help: 'Run in the foreground.' },
      noWait: { short: 'e', help: 'Do not wait in the background for the death of the domain.' },
      debug: { short: 'd', help: 'Enable debug messages.' },
      remus: { short: 'r', help: 'Receive a Remus checkpointed stream (not supported).' },
      paused: { short: 'p', help: 'Do not unpause domain after migrating it.' },
    },
    load: () => import('./commands/migrate-receive.ts'),
  }),
  defineCommand<DomidOptions>({
    name: 'domid',
    args: '<DomainName>',
    summary: 'Convert a domain name to domain id',
    canDryRun: false,
    modifies: false,
    requiredArgs: 1,
    options: {},
    load: () => import('./commands/domid.ts'),
  }),
  defineCommand<DomnameOptions>({
    name: 'domname',
    args: '<DomainId>',
    summary: 'Convert a domain id to domain name',
    canDryRun: false,
    modifies: false,
    requiredArgs: 1,
    options: {},
    load: () => import('./commands/domname.ts'),
  }),
  defineCommand<VmGenidOptions>({
    name: 'vm-genid',
    args: '[options] <Domain>',
    summary: "Show a domain's VM Generation ID, or renew it and notify the guest",
    canDryRun: false,
    modifies: true,
    requiredArgs: 1,
    options: {
      new: { short: 'n', long: 'new', help: 'Give the running domain a new random ID,\n written to guest memory, xenstore and the stored config,\n then notify the guest (ACPI).' },
      set: { short: 's', long: 'set', value: 'ID', help: 'Give the domain ID (a GUID, xenstore lo:hi, 32 hex\n digits, or form:value); notify the guest if it changed.' },
      format: { long: 'format', value: 'FORMAT', help: 'Print each view as xenstore, guid, hex, hyperv or\n vmware (default: all of them).' },
      json: { long: 'json', help: 'Print {config, xenstore, guest, notifications}.' },
    },
    load: () => import('./commands/vm-genid.ts'),
  }),
];

/**
 * `cmdtable_lookup`: the command named exactly `name`, else the only one `name` is a prefix of.
 */
export function lookupCommand(name: string, table: readonly CommandSpec[] = commandTable): CommandSpec | undefined {
  const exact = table.find((command) => command.name === name);
  if (exact) return exact;
  const matches = table.filter((command) => command.name.startsWith(name));
  return matches.length === 1 ? matches[0] : undefined;
}

/** The option lines of a command's help, in xl's layout (text from column 25). */
export function formatOptions(spec: CommandSpec): string {
  const lines = ['-h                      Print this help.'];
  for (const option of Object.values(spec.options) as OptionSpec[]) {
    const forms: string[] = [];
    if (option.short) forms.push(`-${option.short}${option.value && !option.long ? ` ${option.value}` : ''}`);
    if (option.long) forms.push(`--${option.long}${option.value ? `=${option.value}` : ''}`);
    if (option.short && option.long && option.value) forms[0] = `-${option.short} ${option.value}`;
    const left = forms.join(', ');
    const [first, ...rest] = option.help.split('\n');
    lines.push(left.length < 24 ? `${left.padEnd(24)}${first}` : `${left}\n${' '.repeat(24)}${first}`);
    for (const line of rest) lines.push(`${' '.repeat(24)}${line.trimStart()}`);
  }
  return lines.join('\n');
}

/** `help(command)` for one command (xl.c). */
export function formatCommandHelp(spec: CommandSpec): string {
  const flags = `${spec.modifies ? 'f' : ''}${spec.canDryRun ? 'N' : ''}`;
  return `Usage: xl [-vtT${flags}] ${spec.name} ${spec.args}\n\n${spec.summary}.\n\nOptions:\n\n${formatOptions(spec)}\n`;
}

/** `help(NULL)`: the full list (xl.c). */
export function formatFullHelp(table: readonly CommandSpec[] = commandTable): string {
  let text = 'Usage xl [-vfNtT] <subcommand> [args]\n\nxl full list of subcommands:\n\n';
  for (const command of table) {
    text += ` ${command.name.padEnd(19)} `;
    if (command.name.length > 19) text += `\n ${''.padEnd(19)} `;
    text += `${command.summary}\n`;
  }
  return text;
}

/** Outcome of parsing a command's arguments. */
export type ParsedCommandLine =
  | { readonly kind: 'ok'; readonly options: OptionValues; readonly args: string[] }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string; readonly exitCode: number };

/**
 * Parses a command's arguments as xl's `def_getopt` (getopt_long, permuting): flags may be
 * grouped (`-pq`), values follow (`-f FILE`, `-fFILE`, `--defconfig=FILE`, `--defconfig FILE`),
 * `--` ends options; `-h` asks for help; an unknown option is `option `x' not supported.`
 */
export function parseCommandLine(spec: CommandSpec, argv: readonly string[]): ParsedCommandLine {
  const options: OptionValues = {};
  const args: string[] = [];
  const entries = Object.entries(spec.options) as Array<[string, OptionSpec]>;
  for (const [key, option] of entries) options[key] = option.value ? undefined : false;
  const unsupported = (letter: string): ParsedCommandLine => ({ kind: 'error', message: `option \`${letter}' not supported.\n`, exitCode: 2 });
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
        options[key] = true;
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
        options[key] = true;
      }
      continue;
    }
    args.push(arg);
  }
  if (spec.requiredArgs && args.length < spec.requiredArgs) {
    const plural = spec.requiredArgs > 1 ? 's' : '';
    return { kind: 'error', message: `'xl ${spec.name}' requires at least ${spec.requiredArgs} argument${plural}.\n\n${formatCommandHelp(spec)}`, exitCode: 2 };
  }
  return { kind: 'ok', options, args };
}
