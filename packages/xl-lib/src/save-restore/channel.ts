/**
 * Byte channels for migration: whatever carries the stream from sender to receiver and the
 * receiver's answers back (xl uses the stdin/stdout of an `ssh` child, `tools/xl/xl_migrate.c`).
 * Any Node `Duplex` (a socket, a child's stdio pair) adapts to one; `createChannelPair` connects
 * two in one process.
 */
import type { Duplex } from 'node:stream';
import { XlError } from '../errors.ts';

export interface ByteChannel {
  /** Bytes from the other end, in order; done when the other end has ended. */
  readonly incoming: AsyncIterator<Uint8Array>;
  /** Sends bytes; resolves once they are accepted (backpressure respected). */
  write(bytes: Uint8Array): Promise<void>;
  /** No more bytes will be sent. */
  end(): void;
  /**
   * True when `write` keeps no reference to its bytes once its promise has resolved (it wrote or
   * copied them): a sender may then reuse the buffer for the next write.
   */
  readonly releasesWrites?: boolean;
}

/** A channel over a Node duplex stream. */
export function channelFromDuplex(stream: Duplex): ByteChannel {
  const iterator = (stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>);
  return {
    incoming: iterator,
    write(bytes) {
      return new Promise((resolve, reject) => {
        if (stream.destroyed || stream.writableEnded) {
          reject(new XlError('FAIL', 'migration channel closed'));
          return;
        }
        stream.write(bytes, (error) => (error ? reject(new XlError('FAIL', `migration channel write failed: ${error.message}`, { cause: error })) : resolve()));
      });
    },
    end() {
      if (!stream.writableEnded) stream.end();
    },
  };
}

class Queue implements AsyncIterator<Uint8Array> {
  readonly #items: Uint8Array[] = [];
  readonly #waiters: ((result: IteratorResult<Uint8Array>) => void)[] = [];
  #ended = false;

  push(bytes: Uint8Array): void {
    if (this.#ended) throw new XlError('FAIL', 'migration channel closed');
    const waiter = this.#waiters.shift();
    if (waiter) waiter({ value: bytes, done: false });
    else this.#items.push(bytes);
  }

  end(): void {
    this.#ended = true;
    for (const waiter of this.#waiters.splice(0)) waiter({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    const item = this.#items.shift();
    if (item) return Promise.resolve({ value: item, done: false });
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/** Two connected channel ends in one process (bytes are copied, so senders may reuse buffers). */
export function createChannelPair(): [ByteChannel, ByteChannel] {
  const toSecond = new Queue();
  const toFirst = new Queue();
  const end = (queue: Queue, incoming: Queue): ByteChannel => ({
    incoming,
    write(bytes) {
      try {
        queue.push(Uint8Array.from(bytes));
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    },
    end() {
      queue.end();
    },
  });
  return [end(toSecond, toFirst), end(toFirst, toSecond)];
}
