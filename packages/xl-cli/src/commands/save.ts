/**
 * `xl save [-c] [-p] <Domain> <CheckpointFile> [<ConfigFile>]` (main_save / save_domain,
 * `tools/xl/xl_saverestore.c`): the domain is paused and its image written (xl header with the
 * libxl JSON config, libxl stream v2, libxc stream v3); then it is destroyed, or with `-c` resumed,
 * or with `-p` left paused. The file records the ID the domain has; the running domain's ID never
 * changes. The target is opened first, as xl does, so a path that cannot take the image fails
 * before the domain is touched; the image is complete and durable there before the domain goes.
 */
import type { ByteChannel, DomainConfig, SaveFileTarget } from '@xen-genid/xl-lib';
import type { CommandContext, CommandInput } from '../command-context.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { loadConfigFile } from '../toolstack/load-config.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { xcLog, xcProgress, xlLogger } from '../toolstack/progress.ts';
import { asXlFailure, findExistingDomain } from '../toolstack/report.ts';
import { formatHeaderInfo, xlHeaderInfo } from '../toolstack/save-header.ts';
import { strerrorOf } from '@xen-genid/xl-lib/errors';

export interface SaveOptions {
  checkpoint: boolean;
  leavePaused: boolean;
  preserveDomid: boolean;
}

/**
 * A channel into an opened save target, reporting each chunk; its end makes the image durable
 * (`written` is called once the whole image is in the target's temporary file).
 */
function fileChannel(target: SaveFileTarget, onChunk: (chunk: Uint8Array) => void, written: () => void): ByteChannel {
  const noInput: AsyncIterator<Uint8Array> = { next: () => Promise.resolve({ value: undefined, done: true }) };
  return {
    incoming: noInput,
    write(bytes) {
      onChunk(bytes);
      target.write(bytes);
      return Promise.resolve();
    },
    end: () => {
      written();
      return target.commit();
    },
    // Each write is in the file (writeSync) before it returns.
    releasesWrites: true,
  };
}

export async function run(input: CommandInput<SaveOptions>, context: CommandContext): Promise<number> {
  const [qualifier, file, configFile] = input.args as [string, string, string | undefined];
  if (input.args.length > 3) throw new XlCliError(`'xl save' takes at most 3 arguments.`, { exitCode: XL_EXIT.USAGE });
  const override: DomainConfig | undefined = configFile === undefined ? undefined : loadConfigFile(configFile, context);
  return withToolstack(context, async ({ libxl, crashPoint }) => {
    const domid = findExistingDomain(libxl, qualifier);
    const { openSaveFile, saveDomain } = await import('@xen-genid/xl-lib');
    let target: SaveFileTarget;
    try {
      target = openSaveFile(file);
    } catch (error) {
      throw new XlCliError(`Failed to open temp file ${file} for writing: ${strerrorOf((error as Error).cause ?? error)}`);
    }
    const logger = xlLogger(context, input.global);
    let first = true;
    const channel = fileChannel(target, (chunk) => {
      if (!first) return;
      first = false;
      const info = xlHeaderInfo(chunk);
      if (info) context.stderr.write(`Saving to ${file} new xl format (info ${formatHeaderInfo(info)})\n`);
    }, () => crashPoint('xl.save.written'));
    try {
      await saveDomain(libxl, domid, { channel }, {
        checkpoint: input.options.checkpoint,
        leavePaused: input.options.leavePaused,
        progress: xcProgress(logger),
        log: xcLog(logger),
        ...(override ? { config: override } : {}),
      });
      logger.destroy();
    } catch (error) {
      logger.destroy();
      target.abort();
      throw asXlFailure(error, { message: () => 'Failed to save domain, resuming domain' });
    }
    return XL_EXIT.OK;
  });
}
