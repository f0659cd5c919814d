/**
 * What a command of `xl` receives and may touch: the context (`bin/xl.ts` builds it from the
 * process, tests from in-memory parts), the parsed command line, and the machine's parts. Types
 * only, so the command table, the commands and the toolstack all depend on this module and not on
 * each other.
 */
import type { Hypervisor } from '@xen-genid/xc-params';
import type { XenStore } from '@xen-genid/xenstore';
import type { DomainNameIndex, LibxlOptions, RandomSource, UserdataStore } from '@xen-genid/xl-lib';
import type { CrashPoint, DomainTableLayout } from '@xen-genid/host';

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
  /** The clock, milliseconds since the epoch (libxl's `start_time`, `xl uptime`); default `Date.now`. */
  readonly now?: () => number;
  /** `argv[0]`, as getopt names the program in its messages; default `xl`. */
  readonly programName?: string;
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
  /**
   * For a command that reads its leading arguments itself (`argumentsFirst`): its option parser,
   * run on the arguments after them (`help` for `-h`/`--help`; xl's option errors are thrown).
   */
  readonly readOptions?: (argv: readonly string[]) => { readonly kind: 'ok'; readonly options: Options; readonly args: string[] } | { readonly kind: 'help' };
}

/** What libxl runs on: a hypervisor, a xenstore, libxl's userdata, and optionally a name index. */
export interface ToolstackParts {
  readonly hypervisor: Hypervisor;
  readonly xenstore: XenStore;
  readonly userdata: UserdataStore;
  /** Names as the store indexes them (the host file does); else names are read from xenstore. */
  readonly names?: DomainNameIndex;
  /** `xl list`'s lines for every domain, made by the host file in one query; else formatted one by one. */
  readonly domainTable?: (layout: DomainTableLayout) => Uint8Array;
  /** `xl vm-list`'s lines for every domain, made by the host file in one query. */
  readonly vmTable?: () => Uint8Array;
  /** Runs a change of several parts as one (the host file's transaction); else plainly. */
  readonly atomically?: LibxlOptions['atomically'];
  /** The host file's crash points (`XEN_GENID_HOST_CRASH_AT`), for steps of xl's own. */
  readonly crashPoint?: (step: CrashPoint) => void;
}

