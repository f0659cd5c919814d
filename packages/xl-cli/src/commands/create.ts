/**
 * `xl create` (main_create and create_domain, tools/xl/xl_vmcontrol.c): reads the config file,
 * appends `KEY=VALUE` arguments, runs `parse_config_data`, and for a dry run (`xl -N create`,
 * `xl create -n`) prints the domain config in libxl's JSON; otherwise the domain is built on the
 * host (`create-on-host.ts`).
 */
import { domainConfigToJsonText } from '@xen-genid/xl-lib';
import type { CommandContext, CommandInput } from '../command-context.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { loadConfigFile } from '../toolstack/load-config.ts';

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
    else throw XlCliError.usage();
  }
  if (filename === undefined) {
    throw new XlCliError('Config file not specified and none in save file', { exitCode: XL_EXIT.ERROR_INVAL });
  }
  const config = loadConfigFile(filename, context, { quiet: options.quiet, extras, verbose: input.global.verbose > 0 });
  const dryRun = input.global.dryRun || options.dryrun;
  if (dryRun || options.debug) {
    const json = domainConfigToJsonText(config);
    (dryRun ? context.stdout : context.stderr).write(json);
  }
  if (dryRun) return XL_EXIT.OK;
  const { createOnHost } = await import('./create-on-host.ts');
  return createOnHost(config, { paused: options.paused, console: options.console }, context);
}
