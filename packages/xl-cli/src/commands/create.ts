/**
 * `xl create` (main_create and create_domain, tools/xl/xl_vmcontrol.c): reads the config file,
 * appends `KEY=VALUE` arguments, runs `parse_config_data`, and for a dry run (`xl -N create`,
 * `xl create -n`) prints the domain config in libxl's JSON; otherwise the domain is built on the
 * host (`create-on-host.ts`).
 */
import { domainConfigToJsonText } from '@xen-genid/xl-lib';
import { formatCommandHelp, lookupCommand, type CommandContext, type CommandInput } from '../command-table.ts';
import { appendExtraConfig, parseConfigData } from '../config/to-domain-config.ts';
import { EXIT_ERROR_FAIL, EXIT_ERROR_INVAL } from '../toolstack/report.ts';
import { reportReadFailure } from '../toolstack/load-config.ts';

export interface CreateOptions {
  paused: boolean;
  console: boolean;
  defconfig: string | undefined;
  quiet: boolean;
  dryrun: boolean;
  debug: boolean;
  foreground: boolean;
  noWait: boolean;
  vncviewer: boolean;
  vncviewerAutopass: boolean;
  ignoreGlobalAffinityMasks: boolean;
}

export async function run(input: CommandInput<CreateOptions>, context: CommandContext): Promise<number> {
  const { options } = input;
  // A first argument that is neither an option nor KEY=VALUE is the config file; -f overrides it.
  const first = input.argv[0];
  const firstIsFile = first !== undefined && !first.startsWith('-') && !first.includes('=');
  let filename = options.defconfig ?? (firstIsFile ? first : undefined);
  const extras: string[] = [];
  for (const arg of firstIsFile ? input.args.slice(1) : input.args) {
    if (arg.includes('=')) extras.push(arg);
    else if (filename === undefined) filename = arg;
    else {
      context.stdout.write(formatCommandHelp(lookupCommand('create')!));
      return 2;
    }
  }
  if (filename === undefined) {
    context.stderr.write('Config file not specified and none in save file\n');
    return EXIT_ERROR_INVAL;
  }
  let data: Uint8Array;
  if (filename === '/dev/null') {
    data = new Uint8Array(0); // xl's way to give the whole config on the command line
  } else {
    try {
      data = context.readFile(filename);
    } catch (error) {
      reportReadFailure(context, filename, error);
      return EXIT_ERROR_FAIL;
    }
  }
  data = appendExtraConfig(data, extras);
  if (!options.quiet) context.stderr.write(`Parsing config from ${filename}\n`);
  const parsed = parseConfigData(data, { source: filename, ...(context.random ? { random: context.random } : {}) });
  for (const diagnostic of parsed.diagnostics) context.stderr.write(`${diagnostic.message}\n`);
  if (!parsed.config) return parsed.exitCode ?? 1;

  const dryRun = input.global.dryRun || options.dryrun;
  if (dryRun || options.debug) {
    const json = domainConfigToJsonText(parsed.config);
    (dryRun ? context.stdout : context.stderr).write(json);
  }
  if (dryRun) return 0;
  const { createOnHost } = await import('./create-on-host.ts');
  return createOnHost(parsed.config, { paused: options.paused }, context);
}
