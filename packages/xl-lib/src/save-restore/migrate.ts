/**
 * Migration as a library: the two halves of `xl migrate` / `xl migrate-receive`
 * (`tools/xl/xl_migrate.c`: `migrate_domain` and `migrate_receive`) over any byte channel.
 *
 * The sender pauses its domain and streams the save image; the receiver reads and checks it whole,
 * creates the domain paused (the policy's "migrate" row: the same ID, written again to xenstore and
 * to guest memory at param 34) and answers "received"; only then does the sender destroy its copy and
 * clear the receiver, which unpauses and reports. If the receiver fails before it is cleared, the
 * sender resumes its domain, whose ID and memory were never touched.
 *
 * `beginMigrationSend` / `beginMigrationReceive` are these steps without any protocol, for the xl
 * command to drive with xl's own handshake strings over its `sh -c` / ssh rune; this library frames
 * the same four steps with single bytes. As in xl, the domain arrives named `<name>--incoming` and
 * takes its name once the sender's copy is gone, so a migration within one host works too. Frames: receiver `R` (domain received) or `F` + u32 length +
 * message (failed); sender `G` (cleared to unpause); receiver `U` + one status byte (0 = running).
 */
import { XlError, wrapFailure } from '../errors.ts';
import type { ProgressReport } from '../progress.ts';
import { decideGenid, genidModeOfConfig, genidOfConfig, setGenidOfConfig } from '../genid/lifecycle-policy.ts';
import { chunkSource, type ByteSource } from '../stream/byte-source.ts';
import { readSaveImage } from '../stream/save-image.ts';
import { saveImageChunks } from '../stream/write-save-image.ts';
import { copyDomainConfig, domainConfigToJsonText, type DomainConfig } from '../types/domain-config.ts';
import type { MsVmGenid } from '../genid/ms-vm-genid.ts';
import { createChannelPair, type ByteChannel } from './channel.ts';
import { deviceModelStateOf, domainOrThrow, restoreImage, timelineWith, type RestoreResult, type SaveRestoreContext } from './operations.ts';
import { lifecycleEntry } from '../genid/history.ts';

const RECEIVED = 0x52; // 'R'
const FAILED = 0x46; // 'F'
const CLEARED = 0x47; // 'G'
const UNPAUSED = 0x55; // 'U'
/** xl receives a domain under a temporary name (`create_domain`: `"%s--incoming"`). */
export const INCOMING_SUFFIX = '--incoming';

export interface MigrateSendOptions {
  /** `xl migrate -C cfg`: send this config instead of the domain's own (the ID is kept all the same). */
  readonly config?: DomainConfig;
  /** Told the frames sent (libxc's progress). */
  readonly progress?: ProgressReport;
}

export interface MigrateSendResult {
  /** Bytes of save image sent. */
  readonly length: number;
  /** The ID that travelled with the domain. */
  readonly genid: MsVmGenid;
}

async function readFailure(replies: ByteSource): Promise<string> {
  const header = await replies.read(4, 'migration failure length');
  const length = new DataView(header.buffer, header.byteOffset, 4).getUint32(0, true);
  return Buffer.from(await replies.read(Math.min(length, 65536), 'migration failure message')).toString('utf8');
}

async function drain(incoming: AsyncIterator<Uint8Array>): Promise<void> {
  try {
    for (let next = await incoming.next(); !next.done; next = await incoming.next());
  } catch {
    // the channel broke: nothing more to read
  }
}

async function readByte(source: ByteSource, what: string): Promise<number | undefined> {
  try {
    return (await source.read(1, what))[0];
  } catch {
    return undefined; // the other end went away
  }
}

/**
 * The sender's side of a migration, protocol-neutral (xl's `migrate_domain` without its handshake
 * strings): the domain is paused; send `chunks`, then either `commit()` once the receiver has the
 * domain (destroys the local copy) or `abort()` (resumes it, ID and memory untouched).
 */
export interface MigrationSend {
  readonly domid: number;
  /** The ID that travels with the domain (the policy's "migrate" row keeps it). */
  readonly genid: MsVmGenid;
  /** The save image, record by record; read lazily from the paused domain. */
  readonly chunks: Iterable<Uint8Array>;
  commit(): void;
  abort(): void;
}

/** Pauses `domid` and prepares its image with the config (and the same ID) to send. */
export function beginMigrationSend(context: SaveRestoreContext, domid: number, options: MigrateSendOptions = {}): MigrationSend {
  const info = domainOrThrow(context, domid);
  const stored = context.retrieveDomainConfiguration(domid);
  const decision = decideGenid({
    operation: options.config ? 'migrate-with-config' : 'migrate',
    mode: genidModeOfConfig(stored),
    current: genidOfConfig(stored),
  });
  const config = copyDomainConfig(options.config ?? stored);
  setGenidOfConfig(config, decision.genid);
  const configJson = domainConfigToJsonText(config);
  const genidHistory = timelineWith(context, domid, genidOfConfig(stored), lifecycleEntry('sent', decision));
  const wasRunning = !info.paused;
  if (wasRunning) context.pauseDomain(domid);
  let settled = false;
  const settle = () => {
    if (settled) throw new XlError('INVAL', `migration of domain ${domid} was already committed or aborted`);
    settled = true;
  };
  return {
    domid,
    genid: decision.genid,
    chunks: {
      [Symbol.iterator]: () =>
        saveImageChunks(context.hypervisor, domid, {
          configJson,
          ...(options.progress ? { progress: options.progress } : {}),
          ...(genidHistory ? { genidHistory } : {}),
          ...deviceModelStateOf(context, domid),
        }),
    },
    commit() {
      settle();
      context.destroyDomain(domid);
    },
    abort() {
      settle();
      if (wasRunning) context.unpauseDomain(domid);
    },
  };
}

/**
 * The receiver's side, protocol-neutral (xl's `migrate_receive` without its strings): reads the
 * whole image from `source` (nothing is created from a bad stream), creates the domain paused as
 * `<name>--incoming` with the same ID and checks its final name is free. Then `finish()` once the
 * sender has let go (renames, unpauses unless `paused`), or `abort()` (destroys it again).
 */
export interface MigrationReceive extends RestoreResult {
  finish(): void;
  abort(): void;
}

export async function beginMigrationReceive(
  context: SaveRestoreContext,
  source: ByteSource,
  options: MigrateReceiveOptions = {},
): Promise<MigrationReceive> {
  let result: RestoreResult | undefined;
  let name: string | undefined;
  try {
    const image = await readSaveImage(source, options.progress ? { progress: options.progress } : {});
    result = await restoreImage(context, image, 'migrate', {
      paused: true,
      where: 'incoming migration stream',
      ...(options.domidPolicy === undefined ? {} : { domidPolicy: options.domidPolicy }),
      rename: (configName) => {
        name = configName;
        return configName ? `${configName}${INCOMING_SUFFIX}` : configName;
      },
    });
    if (name) checkFinalName(context, name, result.domid);
  } catch (error) {
    if (result) context.destroyDomain(result.domid);
    throw wrapFailure('migration receive failed', error);
  }
  const received = result;
  let settled = false;
  const settle = () => {
    if (settled) throw new XlError('INVAL', `incoming domain ${received.domid} was already finished or aborted`);
    settled = true;
  };
  return {
    ...received,
    finish() {
      settle();
      if (name) context.renameDomain(received.domid, `${name}${INCOMING_SUFFIX}`, name);
      if (!options.paused) context.unpauseDomain(received.domid);
    },
    abort() {
      settle();
      context.destroyDomain(received.domid);
    },
  };
}

/**
 * The sending half over a channel, with this library's framing. Resolves once the receiver runs
 * the domain (the local copy is then gone); rejects with the domain resumed unchanged if anything
 * fails before the receiver is cleared.
 */
export async function sendMigration(
  context: SaveRestoreContext,
  domid: number,
  channel: ByteChannel,
  options: MigrateSendOptions = {},
): Promise<MigrateSendResult> {
  const send = beginMigrationSend(context, domid, options);
  const replies = chunkSource(channel.incoming);
  let length = 0;
  let failure: string | undefined;
  try {
    for (const chunk of send.chunks) {
      await channel.write(chunk);
      length += chunk.length;
    }
    const answer = await readByte(replies, 'migration receiver answer');
    if (answer === FAILED) failure = `receiver failed: ${await readFailure(replies)}`;
    else if (answer !== RECEIVED) failure = answer === undefined ? 'receiver closed the channel' : `unexpected answer 0x${answer.toString(16)}`;
  } catch (error) {
    failure = (error as Error).message;
  }
  if (failure !== undefined) {
    send.abort();
    channel.end();
    throw new XlError('FAIL', `migration of domain ${domid} failed before the receiver was cleared (${failure}); domain ${domid} resumed`);
  }

  send.commit();
  await channel.write(Uint8Array.of(CLEARED));
  const report = await readByte(replies, 'migration unpause report');
  const status = report === UNPAUSED ? await readByte(replies, 'migration unpause status') : undefined;
  channel.end();
  if (status !== 0) {
    throw new XlError('FAIL', `migration target: domain did not start (status ${status ?? 'none'}); the domain now exists only on the target`);
  }
  return { length, genid: send.genid };
}

export interface MigrateReceiveOptions {
  /** `xl migrate-receive -p` / `xl migrate -p`: leave the domain paused on arrival. */
  readonly paused?: boolean;
  /** Told the frames received (against the total the image declares). */
  readonly progress?: ProgressReport;
  /** xl's `domid_policy` (`applyDomidPolicy`). */
  readonly domidPolicy?: number;
}

/**
 * The name the domain will take must be free, apart from the sender's own copy on this same host
 * (same uuid), which goes away before the rename. Checked before the sender is cleared: xl finds a
 * clash only when renaming, after the sender has destroyed its copy, and so loses the domain.
 */
function checkFinalName(context: SaveRestoreContext, name: string, incoming: number): void {
  let holder: number;
  try {
    holder = context.nameToDomid(name);
  } catch {
    return;
  }
  if (context.hypervisor.getDomain(holder)?.uuid !== context.hypervisor.getDomain(incoming)?.uuid) {
    throw new XlError('INVAL', `Domain with name "${name}" already exists.`);
  }
}

/**
 * The receiving half over a channel, with this library's framing: restores the domain paused, waits
 * to be cleared, then unpauses it. If the sender never clears it, the new domain is destroyed again.
 */
export async function receiveMigration(
  context: SaveRestoreContext,
  channel: ByteChannel,
  options: MigrateReceiveOptions = {},
): Promise<RestoreResult> {
  const source = chunkSource(channel.incoming);
  let incoming: MigrationReceive;
  try {
    incoming = await beginMigrationReceive(context, source, options);
  } catch (error) {
    const message = Buffer.from((error as Error).message, 'utf8');
    const frame = new Uint8Array(5 + message.length);
    frame[0] = FAILED;
    new DataView(frame.buffer).setUint32(1, message.length, true);
    frame.set(message, 5);
    await channel.write(frame).catch(() => undefined);
    channel.end();
    // Keep reading until the sender stops, so a sender still writing its image never blocks on a
    // full pipe: it finishes, reads the failure and resumes its domain.
    await drain(channel.incoming);
    throw error;
  }
  await channel.write(Uint8Array.of(RECEIVED));
  const go = await readByte(source, 'migration permission to go');
  if (go !== CLEARED) {
    incoming.abort();
    channel.end();
    throw new XlError('FAIL', 'migration sender did not clear the receiver to unpause; incoming domain destroyed');
  }
  let status = 0;
  try {
    incoming.finish();
  } catch {
    status = 1;
  }
  await channel.write(Uint8Array.of(UNPAUSED, status));
  channel.end();
  if (status !== 0) throw new XlError('FAIL', `migrated domain ${incoming.domid} failed to take its name or to unpause`);
  const { domid, genid, decision, header } = incoming;
  return { domid, genid, decision, header };
}

/** Both halves in one process: migrates `domid` of `source` into `target` over an in-memory channel. */
export async function migrateDomain(
  source: SaveRestoreContext,
  domid: number,
  target: SaveRestoreContext,
  options: MigrateSendOptions & MigrateReceiveOptions = {},
): Promise<RestoreResult & { readonly sent: MigrateSendResult }> {
  const [sending, receiving] = createChannelPair();
  const [sent, received] = await Promise.allSettled([
    sendMigration(source, domid, sending, options),
    receiveMigration(target, receiving, options),
  ]);
  if (sent.status === 'rejected') throw sent.reason;
  if (received.status === 'rejected') throw received.reason;
  return { ...received.value, sent: sent.value };
}
