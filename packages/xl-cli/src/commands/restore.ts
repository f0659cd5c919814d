/**
 * `xl restore [-p] [<ConfigFile>] <CheckpointFile>` (main_restore → create_domain with a restore
 * file, `tools/xl/xl_vmcontrol.c`; `libxl_domain_create_restore`). The file is only read. The
 * restored domain gets a new random ID (the lifecycle policy: a snapshot applied, a backup
 * restored or a copy made), written to xenstore and into guest memory before it runs; the guest
 * reads it once on resume. Real xl 4.17 keeps the saved ID when no config file is given.
 */
import { closeSync, createReadStream, fstatSync, openSync } from 'node:fs';
import type { DomainConfig } from '@xen-genid/xl-lib';
import type { CommandContext, CommandInput } from '../command-context.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { loadConfigFile } from '../toolstack/load-config.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { xcLog, xcProgress, xlLogger } from '../toolstack/progress.ts';
import { asXlFailure } from '../toolstack/report.ts';
import { XL_HEADER_LENGTH, readXlHeaderFrom, reportLoadingSaveFile } from '../toolstack/save-header.ts';
import { strerrorOf } from '@xen-genid/xl-lib/errors';

/**
 * A failed read of the header: libxl_read_exactly's line (tools/libs/light/libxl_utils.c), then
 * xl's CHK_ERRNOVAL (`create_domain`, tools/xl/xl_vmcontrol.c) with the errno's text, word for word.
 */
function headerReadFailed(libxlLine: string, reason: string): XlCliError {
  const call = 'libxl_read_exactly( ctx, restore_fd, &hdr, sizeof(hdr), restore_source, "header")';
  return new XlCliError(`libxl: error: libxl_utils.c:505:libxl_read_exactly: ${libxlLine}\nxl: fatal error: xl_vmcontrol.c:713: ${reason}: ${call}`);
}

export interface RestoreOptions {
  console: boolean;
  paused: boolean;
  noWait: boolean;
  debug: boolean;
  foreground: boolean;
  vncviewer: boolean;
  vncviewerAutopass: boolean;
}

export async function run(input: CommandInput<RestoreOptions>, context: CommandContext): Promise<number> {
  // help("restore") on stdout, EXIT_FAILURE; every failure below is create_domain's rc < 0: exit 1.
  if (input.args.length > 2) throw XlCliError.usage(XL_EXIT.FAILURE);
  const [configFile, file] = input.args.length === 2 ? (input.args as [string, string]) : [undefined, input.args[0]!];
  // One opening, read from start to end without seeking: the file may be a pipe (`/dev/stdin`).
  let fd: number;
  let header;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw new XlCliError(`Can't open restore file: ${strerrorOf(error)}`);
  }
  let override: DomainConfig | undefined;
  try {
    try {
      header = readXlHeaderFrom(fd);
    } catch (error) {
      throw headerReadFailed(`failed to read header from ${file}: ${strerrorOf(error)}`, strerrorOf(error));
    }
    if (header.bytes.length < XL_HEADER_LENGTH) throw headerReadFailed(`file/stream truncated reading header from ${file}`, 'Protocol error');
    if (!header.info) throw new XlCliError('File has wrong magic number - corrupt or for a different tool?');
    reportLoadingSaveFile(context, file, header.info);
    if (configFile !== undefined) override = loadConfigFile(configFile, context);
    else context.stderr.write('Parsing config from <saved>\n');
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return withToolstack(context, async ({ libxl }) => {
    const { INVALID_DOMID, chunkSource, fileSource, readSaveImage, restoreImage } = await import('@xen-genid/xl-lib');
    const logger = xlLogger(context, input.global);
    const readOptions = { progress: xcProgress(logger), log: xcLog(logger) };
    let release: () => void = () => closeSync(fd);
    let restored: { readonly domid: number };
    try {
      // The whole image is read and checked before a domain is made (a bad file leaves nothing);
      // a file's pages are read again, batch by batch, as they are loaded.
      let image: Awaited<ReturnType<typeof readSaveImage>>;
      let received: number;
      if (fstatSync(fd).isFile()) {
        // Each record read into a buffer of its own (no stream chunks to copy from), except the
        // pages: checked now, read from the file again as they are loaded into the new domain.
        const source = fileSource(fd, header.bytes, { position: header.bytes.length });
        image = await readSaveImage(source, readOptions);
        // What follows the image's END record, read to the end of the file.
        received = source.offset + source.drain();
      } else {
        const chunks = createReadStream('', { fd, highWaterMark: 1 << 20 });
        release = () => chunks.destroy();
        // One iterator over the stream: the image reader stops at END, the check below reads on.
        const source = (chunks as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
        received = header.bytes.length;
        const next = async (): Promise<Uint8Array | undefined> => {
          const result = await source.next();
          if (result.done) return undefined;
          received += result.value.length;
          return result.value;
        };
        const counted = (async function* () {
          yield header.bytes;
          for (let chunk = await next(); chunk !== undefined; chunk = await next()) yield chunk;
        })();
        image = await readSaveImage(chunkSource(counted), readOptions);
        // What follows the image's END record, read to the end of the pipe.
        while ((await next()) !== undefined);
      }
      if (image.length !== received) {
        throw new XlCliError(`libxl: error: ${file}: ${received - image.length} unexpected bytes after the end of the save image`);
      }
      restored = await restoreImage(libxl, image, override ? 'restore-with-config' : 'restore', {
        paused: input.options.paused,
        where: file,
        log: xcLog(logger),
        domidPolicy: INVALID_DOMID,
        ...(override ? { config: override } : {}),
      });
    } catch (error) {
      throw asXlFailure(error);
    } finally {
      logger.destroy();
      release();
    }
    if (!input.options.console) return XL_EXIT.OK;
    const { followConsole } = await import('./console.ts');
    return followConsole(libxl, libxl.primaryConsole(restored.domid), context);
  });
}
