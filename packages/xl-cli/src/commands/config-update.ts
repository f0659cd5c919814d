/**
 * `xl config-update <Domain> [ConfigFile] [-f FILE] [-d] [KEY=VALUE...]` (main_config_update,
 * `tools/xl/xl_misc.c`): warns that xl manages the configuration itself, parses the file with its
 * `KEY=VALUE` additions as `parse_config_data` does (printing libxl's JSON with `-d` or `xl -N`),
 * then stores the text as the domain's `xl` userdata. Nothing in 4.17 reads that record back (save,
 * migrate and reboot use the `libxl-json` config libxl keeps), hence the warning.
 */
import { USERDATA_XL, domainConfigToJsonText } from '@xen-genid/xl-lib';
import type { CommandContext, CommandInput } from '../command-context.ts';
import { appendExtraConfig, formatDiagnostics, parseConfigData } from '../config/to-domain-config.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { findDomain } from '../toolstack/report.ts';
import { strerrorOf } from '@xen-genid/xl-lib/errors';

export interface ConfigUpdateOptions {
  defconfig: string | undefined;
  debug: boolean;
  quiet: boolean;
}

/** main_config_update's `return ERROR_FAIL` (-3), as the process's exit status. */
const EXIT_ERROR_FAIL = 253;

export async function run(input: CommandInput<ConfigUpdateOptions>, context: CommandContext): Promise<number> {
  const argv = input.argv;
  if (argv.length === 0) throw XlCliError.usage(XL_EXIT.FAILURE, 'xl config-update requires a domain argument');
  context.stderr.write('WARNING: xl now has better capability to manage domain configuration, avoid using this command when possible\n');
  return withToolstack(context, ({ libxl }) => {
    // The domain first, whatever it looks like (`-h` is looked up as a domain), then a config file
    // that is no option and no KEY=VALUE, and only then the options.
    const domid = findDomain(libxl, argv[0]!);
    const next = argv[1];
    const named = next !== undefined && !next.startsWith('-') && !next.includes('=') ? next : undefined;
    const line = input.readOptions!(argv.slice(named === undefined ? 1 : 2));
    // SWITCH_FOREACH_OPT names this command `config_update`, which xl's help does not find.
    if (line.kind === 'help') {
      context.stdout.write('command "config_update" not implemented\n');
      return XL_EXIT.OK;
    }
    const options = line.options;
    let filename = options.defconfig ?? named;
    const extras: string[] = [];
    for (const arg of line.args) {
      if (arg.includes('=')) extras.push(arg);
      else if (filename === undefined) filename = arg;
      // xl prints create's usage here (help("create")), not its own.
      else throw new XlCliError('', { exitCode: XL_EXIT.USAGE, usage: 'create' });
    }
    if (filename === undefined) throw new XlCliError('Config file not specified');
    let data: Uint8Array;
    try {
      data = appendExtraConfig(context.readFile(filename), extras);
    } catch (error) {
      throw new XlCliError(`Failed to read config file: ${filename}: ${strerrorOf(error)}`, { exitCode: EXIT_ERROR_FAIL });
    }
    const parsed = parseConfigData(data, { source: filename, verbose: input.global.verbose > 0, ...(context.random ? { random: context.random } : {}) });
    context.stderr.write(formatDiagnostics(parsed.diagnostics));
    if (!parsed.config) throw new XlCliError('', { exitCode: parsed.exitCode ?? XL_EXIT.FAILURE });
    if (options.debug || input.global.dryRun) context.stdout.write(domainConfigToJsonText(parsed.config));
    if (input.global.dryRun) return XL_EXIT.OK;
    context.stderr.write(`setting dom${domid} configuration\n`);
    // libxl_userdata_store names the record after the domain's uuid: a domain that is gone has none.
    if (!libxl.hypervisor.getDomain(domid)) throw new XlCliError('failed to update configuration');
    libxl.userdata.store(domid, USERDATA_XL, data);
    return XL_EXIT.OK;
  });
}
