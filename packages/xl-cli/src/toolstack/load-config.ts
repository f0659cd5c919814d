/**
 * Reading and parsing an xl.cfg for every command that takes one (`create`, `save dom file cfg`,
 * `restore cfg file`, `migrate -C cfg`): xl's `Parsing config from F`, libxlutil's diagnostics, and
 * `Failed to read config file: F: <strerror>` (`parse_config_data`'s callers in `tools/xl/`).
 */
import type { DomainConfig } from '@xen-genid/xl-lib';
import type { CommandContext } from '../command-context.ts';
import { appendExtraConfig, formatDiagnostics, parseConfigData } from '../config/to-domain-config.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { strerrorOf } from '@xen-genid/xl-lib/errors';

export interface LoadConfigOptions {
  /** `-q`: no `Parsing config from` line. */
  readonly quiet?: boolean;
  /** `KEY=VALUE` lines appended to the file (`xl create F KEY=VALUE...`). */
  readonly extras?: readonly string[];
  /** `xl -v`: warn about keys xl does not read. */
  readonly verbose?: boolean;
}

/** The parsed config; a file that cannot be read or parsed fails the command after its messages. */
export function loadConfigFile(path: string, context: CommandContext, options: LoadConfigOptions = {}): DomainConfig {
  let data: Uint8Array;
  if (path === '/dev/null') {
    data = new Uint8Array(0); // xl's way to give the whole config on the command line
  } else {
    try {
      data = context.readFile(path);
    } catch (error) {
      // libxl's own line first when it logged one (a config that is not a plain file).
      const logged = error instanceof Error && error.name === 'NotPlainFileError' ? `${error.message}\n` : '';
      throw new XlCliError(`${logged}Failed to read config file: ${path}: ${strerrorOf(error)}`, { exitCode: XL_EXIT.ERROR_FAIL });
    }
  }
  if (options.extras && options.extras.length > 0) data = appendExtraConfig(data, options.extras);
  if (!options.quiet) context.stderr.write(`Parsing config from ${path}\n`);
  const parsed = parseConfigData(data, { source: path, verbose: options.verbose ?? false, ...(context.random ? { random: context.random } : {}) });
  context.stderr.write(formatDiagnostics(parsed.diagnostics));
  if (!parsed.config) throw new XlCliError('', { exitCode: parsed.exitCode ?? XL_EXIT.FAILURE });
  return parsed.config;
}
