/**
 * `xl migrate-receive [-e] [-p] [-d]` (main_migrate_receive / migrate_receive,
 * `tools/xl/xl_migrate.c`): the far end of `xl migrate`, on its own host file. Sends the banner on
 * stdout, reads the save image from stdin, creates the domain paused as `<name>--incoming` with
 * the ID it carries (written again to xenstore and guest memory), says "received", waits for
 * permission, takes the name, unpauses and reports. Without permission (the sender gone, or still
 * holding the domain), its copy is destroyed.
 */
import type { ByteSource, MigrationReceive } from '@xen-genid/xl-lib';
import type { CommandContext, CommandInput } from '../command-context.ts';
import {
  MIGRATE_PERMISSION_TO_GO,
  MIGRATE_RECEIVER_BANNER,
  MIGRATE_RECEIVER_READY,
  MIGRATE_REPORT,
  readFixedMessage,
} from '../toolstack/migration-protocol.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { stdinOf } from '../toolstack/process-io.ts';
import { xcProgress, xlLogger } from '../toolstack/progress.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { isLibxlError, libxlErrorLine, rcOf } from '../toolstack/report.ts';
import { XL_HEADER_LENGTH, reportLoadingSaveFile, xlHeaderInfo } from '../toolstack/save-header.ts';

export interface MigrateReceiveOptions {
  foreground: boolean;
  noWait: boolean;
  debug: boolean;
  remus: boolean;
  paused: boolean;
  colo: boolean;
  coloftScript: string | undefined;
  userspaceColoProxy: boolean;
}

const SOURCE = '<incoming migration stream>';

export async function run(input: CommandInput<MigrateReceiveOptions>, context: CommandContext): Promise<number> {
  if (input.args.length !== 0) throw XlCliError.usage(XL_EXIT.FAILURE);
  if (input.options.remus) throw new XlCliError('migration target: Remus checkpointed streams are not supported.');
  if (input.options.colo) throw new XlCliError('migration target: COLO checkpointed streams are not supported.');
  const xlLib = await import('@xen-genid/xl-lib');
  const iterator = stdinOf(context)[Symbol.asyncIterator]();
  // xl passes -t when the sender's stderr is a terminal: the frames received are drawn here too.
  const logger = xlLogger(context, input.global);
  const stream = xlLib.chunkSource(iterator);
  // restore_domain's messages, once the xl header has gone by.
  let header = new Uint8Array(0);
  const source: ByteSource = {
    get offset() {
      return stream.offset;
    },
    async read(length, what) {
      const bytes = await stream.read(length, what);
      if (header.length < XL_HEADER_LENGTH) {
        header = Uint8Array.from([...header, ...bytes.subarray(0, XL_HEADER_LENGTH - header.length)]);
        const info = header.length === XL_HEADER_LENGTH ? xlHeaderInfo(header) : undefined;
        if (info) {
          reportLoadingSaveFile(context, SOURCE, info);
          // The config travels in the stream: create_domain names it <saved>.
          context.stderr.write('Parsing config from <saved>\n');
        }
      }
      return bytes;
    },
  };
  try {
    return await withToolstack(context, async ({ libxl }) => {
      context.stderr.write('migration target: Ready to receive domain.\n');
      context.stdout.write(MIGRATE_RECEIVER_BANNER);
      let incoming: MigrationReceive;
      try {
        // The domain is made paused as <name>--incoming, with the ID the image carries.
        incoming = await xlLib.beginMigrationReceive(libxl, source, {
          paused: input.options.paused,
          progress: xcProgress(logger),
          domidPolicy: xlLib.INVALID_DOMID,
        });
      } catch (error) {
        if (!isLibxlError(error)) throw error;
        logger.destroy();
        context.stderr.write(libxlErrorLine(error));
        context.stderr.write(`migration target: Domain creation failed (code ${rcOf(error)}).\n`);
        return XL_EXIT.FAILURE;
      }
      context.stderr.write('migration target: Transfer complete, requesting permission to start domain.\n');
      // Until the sender lets go, a sender that cannot be told any more (it died: the pipe is
      // broken) still has the domain: ours goes before the failure ends the command. xl exits
      // there and leaves its copy behind as <name>--incoming.
      const toSenderOrAbort = (...messages: Uint8Array[]): void => {
        try {
          for (const message of messages) context.stdout.write(message);
        } catch (error) {
          incoming.abort();
          throw error;
        }
      };
      toSenderOrAbort(MIGRATE_RECEIVER_READY);

      if (!(await readFixedMessage(source, MIGRATE_PERMISSION_TO_GO, 'GO message', undefined, context.stderr))) {
        // The sender never let go: it still has the domain; ours goes (perhaps_destroy_notify_rc).
        toSenderOrAbort(MIGRATE_REPORT, Uint8Array.of(3)); // -ERROR_FAIL
        context.stderr.write('migration target: Failure, destroying our copy.\n');
        incoming.abort();
        context.stderr.write('migration target: Cleanup OK, granting sender permission to resume.\n');
        context.stdout.write(MIGRATE_PERMISSION_TO_GO);
        return XL_EXIT.FAILURE;
      }
      context.stderr.write('migration target: Got permission, starting domain.\n');
      let rc = 0;
      try {
        incoming.finish(); // the name, then (unless -p) unpause
      } catch (error) {
        if (!isLibxlError(error)) throw error;
        context.stderr.write(libxlErrorLine(error));
        rc = rcOf(error);
      }
      if (rc === 0) context.stderr.write('migration target: Domain started successsfully.\n');
      context.stdout.write(MIGRATE_REPORT);
      context.stdout.write(Uint8Array.of(-rc & 0xff));
      if (rc === 0) return XL_EXIT.OK;
      context.stderr.write('migration target: Failure, destroying our copy.\n');
      try {
        libxl.destroyDomain(incoming.domid);
      } catch (error) {
        if (!isLibxlError(error)) throw error;
        context.stderr.write(`migration target: Failed to destroy our copy (code ${rcOf(error)}).\n`);
        return XL_EXIT.FAILURE;
      }
      context.stderr.write('migration target: Cleanup OK, granting sender permission to resume.\n');
      context.stdout.write(MIGRATE_PERMISSION_TO_GO);
      return XL_EXIT.FAILURE;
    });
  } finally {
    await iterator.return?.();
  }
}
