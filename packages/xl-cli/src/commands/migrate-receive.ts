/**
 * `xl migrate-receive [-e] [-p] [-d]` (main_migrate_receive / migrate_receive,
 * `tools/xl/xl_migrate.c`): the far end of `xl migrate`, on its own host file. Sends the banner on
 * stdout, reads the save image from stdin, creates the domain paused with the ID it carries
 * (written again to xenstore and guest memory), says "received", waits for permission, unpauses
 * and reports. Without permission (the sender gone), its copy is destroyed.
 */
import type { CommandContext, CommandInput } from '../command-table.ts';
import {
  MIGRATE_PERMISSION_TO_GO,
  MIGRATE_RECEIVER_BANNER,
  MIGRATE_RECEIVER_READY,
  MIGRATE_REPORT,
  readFixedMessage,
} from '../toolstack/migration-protocol.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { progressWanted, stdinOf } from '../toolstack/process-io.ts';
import { createProgress } from '../toolstack/progress.ts';
import { isLibxlError, rcOf, reportLibxlError } from '../toolstack/report.ts';
import { formatHeaderInfo } from '../toolstack/save-header.ts';

export interface MigrateReceiveOptions {
  foreground: boolean;
  noWait: boolean;
  debug: boolean;
  remus: boolean;
  paused: boolean;
}

const SOURCE = '<incoming migration stream>';

export async function run(input: CommandInput<MigrateReceiveOptions>, context: CommandContext): Promise<number> {
  if (input.args.length !== 0) {
    const { formatCommandHelp, lookupCommand } = await import('../command-table.ts');
    context.stdout.write(formatCommandHelp(lookupCommand('migrate-receive')!));
    return 1;
  }
  if (input.options.remus) {
    context.stderr.write('migration target: Remus checkpointed streams are not supported.\n');
    return 1;
  }
  const xlLib = await import('@xen-genid/xl-lib');
  const iterator = stdinOf(context)[Symbol.asyncIterator]();
  // xl passes -t when the sender's stderr is a terminal: the stream's progress is drawn here too.
  const progress = createProgress(context.stderr, progressWanted(context, input.global), 'Receiving domain', undefined);
  let receiving = true;
  const counted: AsyncIterator<Uint8Array> = {
    async next() {
      const result = await iterator.next();
      if (receiving && !result.done) progress.advance(result.value.length);
      return result;
    },
  };
  const source = xlLib.chunkSource(counted);
  try {
    return await withToolstack(context, async ({ libxl }) => {
      context.stderr.write('migration target: Ready to receive domain.\n');
      context.stdout.write(MIGRATE_RECEIVER_BANNER);
      let domid: number;
      try {
        let image;
        try {
          image = await xlLib.readSaveImage(source);
        } finally {
          receiving = false;
          progress.done();
        }
        context.stderr.write(
          `Loading new save file ${SOURCE} (new xl fmt info ${formatHeaderInfo({
            mandatoryFlags: image.xl.mandatoryFlags,
            optionalFlags: image.xl.optionalFlags,
            optionalDataLength: image.xl.optionalDataLength,
          })})\n`,
        );
        if (image.xl.config !== undefined) {
          context.stderr.write(` Savefile contains xl domain config${image.xl.configIsJson ? ' in JSON format' : ''}\n`);
        }
        context.stderr.write(`Parsing config from ${SOURCE}\n`);
        ({ domid } = await xlLib.restoreImage(libxl, image, 'migrate', { paused: true, where: SOURCE }));
      } catch (error) {
        if (!isLibxlError(error)) throw error;
        reportLibxlError(context, error);
        context.stderr.write(`migration target: Domain creation failed (code ${rcOf(error)}).\n`);
        return 1;
      }
      context.stderr.write('migration target: Transfer complete, requesting permission to start domain.\n');
      context.stdout.write(MIGRATE_RECEIVER_READY);

      let rc = 0;
      if (await readFixedMessage(source, MIGRATE_PERMISSION_TO_GO, 'GO message', undefined, context.stderr)) {
        context.stderr.write('migration target: Got permission, starting domain.\n');
        if (!input.options.paused) {
          try {
            libxl.unpauseDomain(domid);
          } catch (error) {
            if (!isLibxlError(error)) throw error;
            reportLibxlError(context, error);
            rc = rcOf(error);
          }
        }
        if (rc === 0) context.stderr.write('migration target: Domain started successsfully.\n');
      } else {
        rc = -3; // ERROR_FAIL
      }
      context.stdout.write(MIGRATE_REPORT);
      context.stdout.write(Uint8Array.of(-rc & 0xff));
      if (rc === 0) return 0;
      context.stderr.write('migration target: Failure, destroying our copy.\n');
      try {
        libxl.destroyDomain(domid);
      } catch (error) {
        if (!isLibxlError(error)) throw error;
        context.stderr.write(`migration target: Failed to destroy our copy (code ${rcOf(error)}).\n`);
        return 1;
      }
      context.stderr.write('migration target: Cleanup OK, granting sender permission to resume.\n');
      context.stdout.write(MIGRATE_PERMISSION_TO_GO);
      return 1;
    });
  } finally {
    await iterator.return?.();
  }
}
