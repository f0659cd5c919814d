/**
 * `xl migrate [-s sshcommand] [-C cfg] [-e] [-p] <Domain> <host>` (main_migrate / migrate_domain,
 * `tools/xl/xl_migrate.c`). The sender runs `sh -c "<rune>"` (`exec ssh <host> xl migrate-receive
 * ...`, or with `-s ''` the host argument itself), and talks xl's handshake over the child's stdin
 * and stdout: banner, the save image, "received", permission to go, the receiver's report. The
 * domain keeps its generation ID (also with `-C`, where real xl 4.17 would generate a new one).
 * Before giving permission the local copy is renamed `<name>--migratedaway`. If anything fails
 * before then, the domain is resumed here with its name, ID and memory untouched; it is destroyed
 * here only once the receiver reports it running.
 */
import type { DomainConfig, MigrationSend } from '@xen-genid/xl-lib';
import type { CommandContext, CommandInput } from '../command-context.ts';
import { loadConfigFile } from '../toolstack/load-config.ts';
import {
  MIGRATE_PERMISSION_TO_GO,
  MIGRATE_RECEIVER_BANNER,
  MIGRATE_RECEIVER_READY,
  MIGRATE_REPORT,
  readFixedMessage,
  readStatusByte,
} from '../toolstack/migration-protocol.ts';
import { withToolstack } from '../toolstack/open-toolstack.ts';
import { progressWanted, spawnMigrationChild } from '../toolstack/process-io.ts';
import { xcProgress, xlLogger } from '../toolstack/progress.ts';
import { XL_EXIT, XlCliError } from '../errors.ts';
import { findExistingDomain, isLibxlError, libxlErrorLine, rcOf } from '../toolstack/report.ts';

export interface MigrateOptions {
  config: string | undefined;
  sshCommand: string | undefined;
  noWait: boolean;
  debug: boolean;
  paused: boolean;
  preserveDomid: boolean;
  foreground: boolean;
  live: boolean;
}

/** How long xl waits for the transport process to exit before giving up on its status. */
const CHILD_WAIT_MS = 2000;

/** The rune `main_migrate` builds. */
export function migrationRune(
  host: string,
  options: { readonly sshCommand: string; readonly tty: boolean; readonly verbose: number; readonly noWait: boolean; readonly debug: boolean; readonly paused: boolean },
): string {
  if (options.sshCommand === '') return host;
  const verbose = options.verbose > 0 ? ` -${'v'.repeat(options.verbose)}` : '';
  return (
    `exec ${options.sshCommand} ${host} xl${options.tty ? ' -t' : ''}${verbose} migrate-receive` +
    `${options.noWait ? ' -e' : ''}${options.debug ? ' -d' : ''}${options.paused ? ' -p' : ''}`
  );
}

export async function run(input: CommandInput<MigrateOptions>, context: CommandContext): Promise<number> {
  const [qualifier, host] = input.args as [string, string];
  const { options } = input;
  const override: DomainConfig | undefined = options.config === undefined ? undefined : loadConfigFile(options.config, context);
  const xlLib = await import('@xen-genid/xl-lib');
  return withToolstack(context, async ({ libxl }) => {
    const domid = findExistingDomain(libxl, qualifier);
    try {
      libxl.retrieveDomainConfiguration(domid);
    } catch (error) {
      if (!isLibxlError(error)) throw error;
      throw new XlCliError('No config file stored for running domain and none supplied - cannot migrate.');
    }
    const showProgress = progressWanted(context, input.global);
    const rune = migrationRune(host, {
      sshCommand: options.sshCommand ?? 'ssh',
      tty: showProgress,
      verbose: input.global.verbose,
      noWait: options.noWait || options.foreground,
      debug: options.debug,
      paused: options.paused,
    });
    const child = spawnMigrationChild(rune, context.env);
    const exited = new Promise<number | null>((resolve) => {
      child.on('close', (code, signal) => resolve(signal ? 128 : code));
      child.on('error', () => resolve(127));
    });
    child.stdin.on('error', () => undefined); // a receiver gone away is a failed write, not a crash
    const repliesIterator = child.stdout[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
    const replies = xlLib.chunkSource(repliesIterator);
    const send = (bytes: Uint8Array): Promise<void> =>
      new Promise((resolve, reject) => {
        if (child.stdin.destroyed || child.stdin.writableEnded) {
          reject(new Error('migration stream closed'));
          return;
        }
        child.stdin.write(bytes, (error) => (error ? reject(error) : resolve()));
      });
    /** `migration_child_report`: close our end, wait (briefly) for the transport to exit. */
    const reportChild = async (): Promise<void> => {
      child.stdin.end();
      let timer: NodeJS.Timeout | undefined;
      const status = await Promise.race([
        exited,
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), CHILD_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
      if (status === 'timeout') {
        context.stderr.write(`migration child [${child.pid}] not exiting, no longer waiting (exit status will be unreported)\n`);
        child.kill('SIGKILL');
      } else if (status !== 0) {
        context.stderr.write(`xl: migration transport process [${child.pid}] exited with error status ${status}\n`);
      }
      await repliesIterator.return?.();
    };

    // The preamble: the receiver's banner.
    if (!(await readFixedMessage(replies, MIGRATE_RECEIVER_BANNER, 'banner', rune, context.stderr))) {
      await reportChild();
      return XL_EXIT.FAILURE;
    }

    // libxl_domain_suspend: the domain is paused and its image goes down the pipe, libxc's progress
    // on our stderr (the receiver, given -t, draws its own on the same terminal).
    const logger = xlLogger(context, input.global);
    let sending: MigrationSend;
    try {
      sending = xlLib.beginMigrationSend(libxl, domid, { progress: xcProgress(logger), ...(override ? { config: override } : {}) });
    } catch (error) {
      if (!isLibxlError(error)) throw error;
      context.stderr.write(libxlErrorLine(error));
      context.stderr.write(`migration sender: libxl_domain_suspend failed (rc=${rcOf(error)})\n`);
      await reportChild();
      context.stderr.write('Migration failed, failed to suspend at sender.\n');
      return XL_EXIT.FAILURE;
    }
    const commonName = libxl.domidToName(domid);
    const awayName = commonName ? `${commonName}--migratedaway` : undefined;
    let renamedAway = false;
    /** Gives the domain its name back and resumes it, ID and memory as they were. */
    const resume = (): void => {
      if (renamedAway && commonName && awayName) libxl.renameDomain(domid, awayName, commonName);
      renamedAway = false;
      sending.abort();
    };
    const failedResume = async (): Promise<number> => {
      await reportChild();
      context.stderr.write('Migration failed, resuming at sender.\n');
      resume();
      return XL_EXIT.FAILURE;
    };
    try {
      for (const chunk of sending.chunks) await send(chunk);
    } catch (error) {
      logger.destroy();
      if (isLibxlError(error)) context.stderr.write(libxlErrorLine(error));
      context.stderr.write(`migration sender: libxl_domain_suspend failed (rc=${rcOf(error)})\n`);
      return failedResume();
    }

    if (!(await readFixedMessage(replies, MIGRATE_RECEIVER_READY, 'ready message', rune, context.stderr))) {
      return failedResume();
    }
    context.stderr.write('migration sender: Target has acknowledged transfer.\n');
    // Before the receiver may take the name, ours goes out of its way.
    if (commonName && awayName) {
      try {
        libxl.renameDomain(domid, commonName, awayName);
        renamedAway = true;
      } catch (error) {
        if (!isLibxlError(error)) throw error;
        context.stderr.write(libxlErrorLine(error));
        return failedResume();
      }
    }
    context.stderr.write('migration sender: Giving target permission to start.\n');
    const failedBadly = async (): Promise<number> => {
      // The copy takes its name back and stays paused (beyond xl, which leaves it renamed): only the
      // user can tell which end to resume. A receiver on this host that has the name keeps it.
      if (renamedAway && commonName && awayName) {
        try {
          libxl.renameDomain(domid, awayName, commonName);
          renamedAway = false;
        } catch (error) {
          if (!isLibxlError(error)) throw error;
        }
      }
      context.stderr.write(
        '** Migration failed during final handshake **\n' +
          'Domain state is now undefined !\n' +
          'Please CHECK AT BOTH ENDS for running instances, before renaming and\n' +
          ' resuming at most one instance.  Two simultaneous instances of the domain\n' +
          ' would probably result in SEVERE DATA LOSS and it is now your\n' +
          ' responsibility to avoid that.  Sorry.\n',
      );
      await reportChild();
      return XL_EXIT.FAILURE;
    };
    try {
      await send(MIGRATE_PERMISSION_TO_GO);
    } catch {
      return failedBadly();
    }
    if (!(await readFixedMessage(replies, MIGRATE_REPORT, 'success/failure report message', rune, context.stderr))) {
      return failedBadly();
    }
    const status = await readStatusByte(replies, 'success/failure status');
    if (status === undefined) return failedBadly();
    if (status !== 0) {
      context.stderr.write(`migration sender: Target reports startup failure (status code ${status}).\n`);
      if (!(await readFixedMessage(replies, MIGRATE_PERMISSION_TO_GO, 'permission for sender to resume', rune, context.stderr))) {
        return failedBadly();
      }
      context.stderr.write('migration sender: Trying to resume at our end.\n');
      resume();
      context.stderr.write('migration sender: Resumed OK.\n');
      context.stderr.write('Migration failed due to problems at target.\n');
      await reportChild();
      return XL_EXIT.FAILURE;
    }
    context.stderr.write('migration sender: Target reports successful startup.\n');
    sending.commit(); // bang!
    context.stderr.write('Migration successful.\n');
    await reportChild();
    return XL_EXIT.OK;
  });
}
