/**
 * xl's migration handshake (`tools/xl/xl.h`, `tools/xl/xl_migrate.c`). The banner goes without
 * its NUL (`sizeof - 1`); the other three messages are sent with it (`sizeof`). Between banner
 * and "received" the sender streams the save image (xl header with the config, then the libxl
 * stream); after "received" the sender gives permission, the receiver unpauses and reports one
 * status byte (0 = running, else `-rc`).
 */
import type { ByteSource } from '@xen-genid/xl-lib';
import type { OutputStream } from '../command-context.ts';

const encoder = new TextEncoder();

export const MIGRATE_RECEIVER_BANNER = encoder.encode('xl migration receiver ready, send binary domain data.\n');
export const MIGRATE_RECEIVER_READY = encoder.encode('domain received, ready to unpause\0');
export const MIGRATE_PERMISSION_TO_GO = encoder.encode('domain is yours, you are cleared to unpause\0');
export const MIGRATE_REPORT = encoder.encode('my copy unpause results are as follows\0');

/**
 * `migrate_read_fixedmessage`: reads exactly `message.length` bytes and compares them. Prints
 * libxl's truncation error or xl's "contained unexpected data" (with the rune on the sender side);
 * returns false on any failure.
 */
export async function readFixedMessage(
  source: ByteSource,
  message: Uint8Array,
  what: string,
  rune: string | undefined,
  stderr: OutputStream,
): Promise<boolean> {
  const stream = rune !== undefined ? 'migration receiver stream' : 'migration stream';
  let bytes: Uint8Array;
  try {
    bytes = await source.read(message.length, what);
  } catch {
    stderr.write(`libxl: error: file/stream truncated reading ${what} from ${stream}\n`);
    return false;
  }
  if (Buffer.compare(Buffer.from(bytes), Buffer.from(message)) !== 0) {
    stderr.write(`${stream} contained unexpected data instead of ${what}\n`);
    if (rune !== undefined) stderr.write(`(command run was: ${rune} )\n`);
    return false;
  }
  return true;
}

/** Reads one byte; undefined at the end of the stream. */
export async function readStatusByte(source: ByteSource, what: string): Promise<number | undefined> {
  try {
    return (await source.read(1, what))[0];
  } catch {
    return undefined;
  }
}
