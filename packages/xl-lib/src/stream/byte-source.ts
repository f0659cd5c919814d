/**
 * Reading a save stream exactly, as libxc's `read_exact` and libxl's datacopier do: from a whole
 * file in memory or from any byte channel (an async iterable of chunks, e.g. a socket or pipe).
 * A short read is a truncated stream, reported with what was being read.
 */
import { fstatSync, readSync } from 'node:fs';
import { XlError } from '../errors.ts';

export interface ByteSource {
  /** Exactly `length` bytes, or an `INVAL` error naming `what` if the stream ends first. */
  read(length: number, what: string): Promise<Uint8Array>;
  /** Bytes consumed so far. */
  readonly offset: number;
}

function truncated(what: string, offset: number, wanted: number, got: number): XlError {
  return new XlError(
    'INVAL',
    `save stream truncated: ${what} at offset ${offset} needs ${wanted} bytes, only ${got} left`,
  );
}

/** A source over bytes already in memory (a save file read whole). */
export function bufferSource(bytes: Uint8Array): ByteSource {
  let offset = 0;
  return {
    get offset() {
      return offset;
    },
    read(length, what) {
      if (length > bytes.length - offset) {
        return Promise.reject(truncated(what, offset, length, bytes.length - offset));
      }
      const slice = bytes.subarray(offset, offset + length);
      offset += length;
      return Promise.resolve(slice);
    },
  };
}

/**
 * A source over a channel delivering chunks. It pulls only what it needs, so bytes after the
 * stream's END record stay unread in the channel for whoever speaks next (xl's migration protocol).
 */
export function chunkSource(chunks: AsyncIterator<Uint8Array>): ByteSource & { unread(): Uint8Array } {
  const pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let offset = 0;
  let ended = false;

  async function fill(length: number): Promise<void> {
    while (pendingBytes < length && !ended) {
      const next = await chunks.next();
      if (next.done) {
        ended = true;
        break;
      }
      if (next.value.length === 0) continue;
      pending.push(next.value);
      pendingBytes += next.value.length;
    }
  }

  return {
    get offset() {
      return offset;
    },
    async read(length, what) {
      await fill(length);
      if (pendingBytes < length) throw truncated(what, offset, length, pendingBytes);
      const out = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        const head = pending[0]!;
        const take = Math.min(head.length, length - filled);
        out.set(head.subarray(0, take), filled);
        filled += take;
        if (take === head.length) pending.shift();
        else pending[0] = head.subarray(take);
      }
      pendingBytes -= length;
      offset += length;
      return out;
    },
    /** What has been received but not consumed (handed back to the caller after END). */
    unread() {
      const out = new Uint8Array(pendingBytes);
      let at = 0;
      for (const chunk of pending) {
        out.set(chunk, at);
        at += chunk.length;
      }
      pending.length = 0;
      pendingBytes = 0;
      return out;
    },
  };
}

/** Bytes read from a file at a time, into one buffer reused for every read. */
const FILE_READ_SIZE = 1 << 20;

/**
 * A source whose bytes can be read again later (a regular file): a reader can pass over the bulk of
 * a record and come back to it, rather than keep it in memory meanwhile.
 */
export interface RereadableSource extends ByteSource {
  /**
   * Passes over `length` bytes without reading them (an `INVAL` error naming `what`, as `read`'s,
   * if the stream ends first); returns the offset they start at.
   */
  skip(length: number, what: string): number;
  /**
   * Fills `into` with the bytes at `offset` (bytes already passed, by `read` or `skip`); an
   * `INVAL` error naming `what` if the file no longer has them.
   */
  readAt(offset: number, into: Uint8Array, what: string): void;
}

export function isRereadable(source: ByteSource): source is RereadableSource {
  const candidate = source as Partial<RereadableSource>;
  return typeof candidate.skip === 'function' && typeof candidate.readAt === 'function';
}

export interface FileSourceOptions {
  /**
   * The descriptor's position in the file (where the bytes after `prefix` start). Given, the file
   * is read at explicit positions and the source is a `RereadableSource`; the descriptor's own
   * position then stays where it was.
   */
  readonly position?: number;
}

/**
 * A source over a regular file's descriptor, read synchronously from its current position (or
 * `options.position`). The file is read into one reused buffer and each read's bytes copied from
 * it into a buffer of their own: pages of new memory that only read(2) has written cost a fault
 * again on their first access from JavaScript on some virtual machines (a 256 MiB image then takes
 * that cost twice), pages written by a copy do not. `prefix`: bytes already read from the
 * descriptor, served first. `drain()` reads on to the end and returns how many bytes that was.
 */
export function fileSource(fd: number, prefix: Uint8Array = new Uint8Array(0), options: FileSourceOptions = {}): ByteSource & { drain(): number } {
  let offset = 0;
  /** Bytes of `prefix` not served yet. */
  let pending = prefix;
  /** Where the next bytes after the prefix are in the file (null: the descriptor's position). */
  let position = options.position ?? null;
  const scratch = new Uint8Array(FILE_READ_SIZE);
  /** read(2) at the source's position (advanced), or at `at` when given. */
  const readFile = (into: Uint8Array, start: number, length: number, at?: number): number => {
    const read = readSync(fd, into, start, length, at ?? position);
    if (at === undefined && position !== null) position += read;
    return read;
  };
  /** Reads into `out` from `from` on, through `scratch`; returns where the bytes read end. */
  const fill = (out: Uint8Array, from: number): number => {
    let filled = from;
    while (filled < out.length) {
      const read = readFile(scratch, 0, Math.min(scratch.length, out.length - filled));
      if (read === 0) break;
      out.set(scratch.subarray(0, read), filled);
      filled += read;
    }
    return filled;
  };
  const source = {
    get offset() {
      return offset;
    },
    read(length: number, what: string) {
      try {
        // Not zeroed (every byte is copied into it), and a plain Uint8Array: slice() copies, as for the other sources.
        const backing = Buffer.allocUnsafeSlow(length);
        const out = new Uint8Array(backing.buffer, backing.byteOffset, length);
        const fromPrefix = Math.min(length, pending.length);
        out.set(pending.subarray(0, fromPrefix));
        pending = pending.subarray(fromPrefix);
        const filled = fill(out, fromPrefix);
        if (filled < length) return Promise.reject(truncated(what, offset, length, filled));
        offset += length;
        return Promise.resolve(out);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    drain() {
      let count = pending.length;
      pending = pending.subarray(pending.length);
      for (let read = readFile(scratch, 0, scratch.length); read > 0; read = readFile(scratch, 0, scratch.length)) count += read;
      return count;
    },
  };
  if (position === null) return source;
  /** The file position of stream offset `at` (past the prefix). */
  const filePosition = (at: number): number => options.position! + at - prefix.length;
  return Object.assign(source, {
    skip(length: number, what: string): number {
      const start = offset;
      // Bytes of the prefix are in memory; those after it have to be in the file.
      const fromPrefix = Math.min(length, pending.length);
      const left = fromPrefix + Math.max(0, fstatSync(fd).size - position!);
      if (left < length) throw truncated(what, offset, length, left);
      pending = pending.subarray(fromPrefix);
      position! += length - fromPrefix;
      offset += length;
      return start;
    },
    readAt(at: number, into: Uint8Array, what: string): void {
      let filled = 0;
      if (at < prefix.length) {
        filled = Math.min(into.length, prefix.length - at);
        into.set(prefix.subarray(at, at + filled));
      }
      while (filled < into.length) {
        const read = readFile(into, filled, into.length - filled, filePosition(at + filled));
        if (read === 0) throw truncated(what, at, into.length, filled);
        filled += read;
      }
    },
  } satisfies Omit<RereadableSource, keyof ByteSource>);
}
