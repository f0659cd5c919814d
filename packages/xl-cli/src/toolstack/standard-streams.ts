/**
 * The process's stdout and stderr as the `xl` bin writes them. Each chunk goes straight to the
 * file descriptor (`writeSync`), as Node's own stream writes a file, a pipe or a terminal on Linux
 * (synchronously, when the descriptor blocks), but without making that stream: making the first of
 * `process.stdout` / `process.stderr` loads Node's `net` and stream modules, a few milliseconds of
 * every command's start. The stream is made only when a direct write fails or would block (a closed
 * pipe, a full disk, a non-blocking pipe that is full): the rest of that chunk and every later one
 * then go through it, so what it does with the failure stays what it did, and the bytes keep their
 * order.
 */
import { writeSync } from 'node:fs';

/** One of the process's output streams, written directly until its Node stream is needed. */
export interface ProcessOutput {
  /** Writes `chunk`; `onStreamDone` is the stream's write callback, once writes go through the stream. */
  write(chunk: string | Uint8Array, onStreamDone?: (error?: Error | null) => void): boolean;
  /** The Node stream, once a write has needed it. */
  readonly stream: NodeJS.WriteStream | undefined;
}

const processStderrs = new WeakSet<object>();

/**
 * Descriptor `fd` (1 or 2), with `open` making its Node stream (`process.stdout`, with any
 * listeners the caller wants on it) when a direct write cannot be made.
 */
export function processOutput(fd: 1 | 2, open: () => NodeJS.WriteStream): ProcessOutput {
  let stream: NodeJS.WriteStream | undefined;
  const output: ProcessOutput = {
    write(chunk, onStreamDone) {
      let rest: Uint8Array | undefined = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      if (stream === undefined) {
        rest = writeDirectly(fd, rest);
        if (rest === undefined) return true;
        stream = open();
      }
      return stream.write(rest, onStreamDone);
    },
    get stream() {
      return stream;
    },
  };
  if (fd === 2) processStderrs.add(output);
  return output;
}

/** True for the process's stderr as `processOutput` writes it. */
export function isProcessStderr(value: unknown): boolean {
  return typeof value === 'object' && value !== null && processStderrs.has(value);
}

/** Writes all of `bytes` to `fd`; returns what is left unwritten when a write fails (or would block). */
function writeDirectly(fd: number, bytes: Uint8Array): Uint8Array | undefined {
  let offset = 0;
  try {
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    return undefined;
  } catch {
    return bytes.subarray(offset);
  }
}
