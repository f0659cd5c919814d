/**
 * The xenstore wire protocol: `struct xsd_sockmsg` frames (16-byte little-endian header, payload).
 * @see xen/include/public/io/xs_wire.h
 */
import { XsError } from './errors.ts';
import { XENSTORE_PAYLOAD_MAX } from './store.ts';

/** `enum xsd_sockmsg_type` (4.17). */
export const XS_CONTROL = 0;
export const XS_DIRECTORY = 1;
export const XS_READ = 2;
export const XS_GET_PERMS = 3;
export const XS_WATCH = 4;
export const XS_UNWATCH = 5;
export const XS_TRANSACTION_START = 6;
export const XS_TRANSACTION_END = 7;
export const XS_INTRODUCE = 8;
export const XS_RELEASE = 9;
export const XS_GET_DOMAIN_PATH = 10;
export const XS_WRITE = 11;
export const XS_MKDIR = 12;
export const XS_RM = 13;
export const XS_SET_PERMS = 14;
export const XS_WATCH_EVENT = 15;
export const XS_ERROR = 16;
export const XS_IS_DOMAIN_INTRODUCED = 17;
export const XS_RESUME = 18;
export const XS_SET_TARGET = 19;
/** Removed in 4.x; answered with ENOSYS. */
export const XS_RESTRICT = 20;
export const XS_RESET_WATCHES = 21;
export const XS_DIRECTORY_PART = 22;
export const XS_TYPE_COUNT = 23;
export const XS_INVALID = 0xffff;

/** Names as xenstored's `sockmsg_string()` prints them, by type number. */
export const XS_TYPE_NAMES: readonly string[] = [
  'CONTROL', 'DIRECTORY', 'READ', 'GET_PERMS', 'WATCH', 'UNWATCH', 'TRANSACTION_START', 'TRANSACTION_END',
  'INTRODUCE', 'RELEASE', 'GET_DOMAIN_PATH', 'WRITE', 'MKDIR', 'RM', 'SET_PERMS', 'WATCH_EVENT', 'ERROR',
  'IS_DOMAIN_INTRODUCED', 'RESUME', 'SET_TARGET', 'RESTRICT', 'RESET_WATCHES', 'DIRECTORY_PART',
];

const EMPTY = Buffer.alloc(0);

/** Size of `struct xsd_sockmsg`. */
export const XS_HEADER_SIZE = 16;

/** One frame. */
export interface XsMessage {
  readonly type: number;
  readonly reqId: number;
  readonly txId: number;
  readonly payload: Uint8Array;
}

/** Encodes one frame. E2BIG when the payload exceeds `XENSTORE_PAYLOAD_MAX`. */
export function encodeMessage(message: XsMessage): Buffer {
  const length = message.payload.length;
  if (length > XENSTORE_PAYLOAD_MAX) throw new XsError('E2BIG', `payload of ${length} bytes exceeds ${XENSTORE_PAYLOAD_MAX}`);
  const frame = Buffer.allocUnsafe(XS_HEADER_SIZE + length);
  frame.writeUInt32LE(message.type >>> 0, 0);
  frame.writeUInt32LE(message.reqId >>> 0, 4);
  frame.writeUInt32LE(message.txId >>> 0, 8);
  frame.writeUInt32LE(length, 12);
  frame.set(message.payload, XS_HEADER_SIZE);
  return frame;
}

/**
 * Splits a byte stream into frames. A header announcing more than `XENSTORE_PAYLOAD_MAX` bytes
 * makes `push` throw `E2BIG` (xenstored drops such a client: the stream cannot be resynchronised).
 */
export class XsFrameDecoder {
  private buffer: Buffer = EMPTY;

  /** Bytes received but not yet part of a whole frame. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Adds bytes and returns every frame now complete, in order. */
  push(chunk: Uint8Array): XsMessage[] {
    let buffer = this.buffer.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([this.buffer, chunk]);
    const messages: XsMessage[] = [];
    let offset = 0;
    while (buffer.length - offset >= XS_HEADER_SIZE) {
      const length = buffer.readUInt32LE(offset + 12);
      if (length > XENSTORE_PAYLOAD_MAX) {
        this.buffer = EMPTY;
        throw new XsError('E2BIG', `frame announces ${length} payload bytes, more than ${XENSTORE_PAYLOAD_MAX}`);
      }
      if (buffer.length - offset < XS_HEADER_SIZE + length) break;
      messages.push({
        type: buffer.readUInt32LE(offset),
        reqId: buffer.readUInt32LE(offset + 4),
        txId: buffer.readUInt32LE(offset + 8),
        payload: buffer.subarray(offset + XS_HEADER_SIZE, offset + XS_HEADER_SIZE + length),
      });
      offset += XS_HEADER_SIZE + length;
    }
    if (offset > 0) buffer = buffer.subarray(offset);
    // Keep a private copy of a partial frame: the caller may reuse its chunk.
    this.buffer = buffer.length > 0 ? Buffer.from(buffer) : EMPTY;
    return messages;
  }
}

const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

/**
 * The NUL-terminated strings at the start of a payload (bytes after the last NUL are ignored), as
 * xenstored's get_strings(); strings are decoded byte for byte (latin1).
 */
export function splitStrings(payload: Uint8Array): string[] {
  const strings: string[] = [];
  let start = 0;
  for (;;) {
    const end = payload.indexOf(0, start);
    if (end < 0) break;
    strings.push(latin1(payload.subarray(start, end)));
    start = end + 1;
  }
  return strings;
}

/** Number of NULs in a payload (xs_count_strings). */
export function countStrings(payload: Uint8Array): number {
  let count = 0;
  for (let index = payload.indexOf(0); index >= 0; index = payload.indexOf(0, index + 1)) count += 1;
  return count;
}

/** The single argument of a payload holding exactly one NUL, as its last byte (xenstored's onearg()); else undefined. */
export function oneArgument(payload: Uint8Array): string | undefined {
  if (payload.length === 0 || payload.indexOf(0) !== payload.length - 1) return undefined;
  return latin1(payload.subarray(0, payload.length - 1));
}

/** Each string followed by a NUL (`a\0b\0`). */
export function joinStrings(strings: readonly string[]): Buffer {
  let size = 0;
  for (const text of strings) size += Buffer.byteLength(text, 'latin1') + 1;
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  for (const text of strings) {
    offset += out.write(text, offset, 'latin1');
    out[offset] = 0;
    offset += 1;
  }
  return out;
}
