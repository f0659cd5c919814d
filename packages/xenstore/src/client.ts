/**
 * An async client for a xenstored Unix socket, in the manner of libxenstore (tools/libs/store/xs.c):
 * requests go out in order and replies are matched in order; watch events arrive at any time.
 * Unlike libxenstore it may have many requests in flight on one connection.
 */
import { connect, type Socket } from 'node:net';
import { XsError, isWireErrorName } from './errors.ts';
import { formatPermission, parsePermission, type XsPermission } from './perms.ts';
import type { XsWatchEvent } from './store.ts';
import {
  XS_CONTROL,
  XS_DIRECTORY,
  XS_ERROR,
  XS_GET_DOMAIN_PATH,
  XS_GET_PERMS,
  XS_INTRODUCE,
  XS_IS_DOMAIN_INTRODUCED,
  XS_MKDIR,
  XS_READ,
  XS_RELEASE,
  XS_RESET_WATCHES,
  XS_RM,
  XS_SET_PERMS,
  XS_TRANSACTION_END,
  XS_TRANSACTION_START,
  XS_UNWATCH,
  XS_WATCH,
  XS_WATCH_EVENT,
  XS_WRITE,
  XsFrameDecoder,
  encodeMessage,
  joinStrings,
  splitStrings,
  type XsMessage,
} from './wire.ts';

export interface XsClientOptions {
  /** Aborts the connection attempt. */
  readonly signal?: AbortSignal;
}

/** A transaction id for the `tx` argument; 0 (or omitted) = none, as `XBT_NULL`. */
export type XsTransactionId = number;

interface Pending {
  readonly type: number;
  readonly resolve: (message: XsMessage) => void;
  readonly reject: (error: unknown) => void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const latin1 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

/** A connection to a xenstored socket. */
export class XsClient implements AsyncDisposable {
  private readonly socket: Socket;
  private readonly decoder = new XsFrameDecoder();
  private readonly pending: Pending[] = [];
  private readonly listeners = new Set<(event: XsWatchEvent) => void>();
  private readonly queued: XsWatchEvent[] = [];
  private readonly waiters: Array<(event: XsWatchEvent | undefined) => void> = [];
  private nextRequestId = 1;
  private failure: XsError | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(new XsError('EBADF', `xenstored connection failed: ${error.message}`, { cause: error })));
    socket.on('close', () => this.fail(new XsError('EBADF', 'xenstored closed the connection')));
  }

  /** Connects to the socket at `socketPath`. */
  static connect(socketPath: string, options: XsClientOptions = {}): Promise<XsClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ path: socketPath, signal: options.signal });
      const onError = (error: Error) => reject(new XsError('EBADF', `cannot connect to ${socketPath}: ${error.message}`, { cause: error }));
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new XsClient(socket));
      });
    });
  }

  get closed(): boolean {
    return this.failure !== undefined;
  }

  private fail(error: XsError): void {
    if (this.failure) return;
    this.failure = error;
    for (const pending of this.pending.splice(0)) pending.reject(error);
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  private receive(chunk: Buffer): void {
    let messages: XsMessage[];
    try {
      messages = this.decoder.push(chunk);
    } catch (error) {
      this.fail(XsError.is(error) ? error : new XsError('EBADF', 'bad frame from xenstored'));
      this.socket.destroy();
      return;
    }
    for (const message of messages) {
      if (message.type === XS_WATCH_EVENT) {
        const [path, token] = splitStrings(message.payload);
        if (path === undefined || token === undefined) continue;
        this.deliver({ path, token });
        continue;
      }
      const pending = this.pending.shift();
      if (!pending) {
        this.fail(new XsError('EBADF', 'unexpected reply from xenstored'));
        this.socket.destroy();
        return;
      }
      if (message.type !== pending.type && message.type !== XS_ERROR) {
        const error = new XsError('EBADF', `reply of type ${message.type} to a request of type ${pending.type}`);
        pending.reject(error);
        this.fail(error);
        this.socket.destroy();
        return;
      }
      pending.resolve(message);
    }
  }

  private deliver(event: XsWatchEvent): void {
    if (this.listeners.size > 0) {
      for (const listener of this.listeners) listener(event);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter(event);
    else this.queued.push(event);
  }

  /**
   * Sends one raw request and resolves with the raw reply (which may be XS_ERROR). For tools and
   * tests; the methods below interpret replies.
   */
  request(type: number, payload: Uint8Array, tx: XsTransactionId = 0): Promise<XsMessage> {
    if (this.failure) return Promise.reject(this.failure);
    let frame: Buffer;
    try {
      frame = encodeMessage({ type, reqId: this.nextRequestId, txId: tx, payload });
    } catch (error) {
      return Promise.reject(error);
    }
    this.nextRequestId = (this.nextRequestId + 1) >>> 0;
    return new Promise((resolve, reject) => {
      this.pending.push({ type, resolve, reject });
      this.socket.write(frame);
    });
  }

  private async call(type: number, payload: Uint8Array, tx: XsTransactionId = 0): Promise<Uint8Array> {
    const reply = await this.request(type, payload, tx);
    if (reply.type === XS_ERROR) {
      const [name = ''] = splitStrings(reply.payload).concat(latin1(reply.payload));
      // libxenstore maps an unknown or malformed name to EINVAL.
      throw new XsError(isWireErrorName(name) ? name : 'EINVAL', `xenstored: ${name || 'EINVAL'}`);
    }
    return reply.payload;
  }

  async read(path: string, tx?: XsTransactionId): Promise<Uint8Array> {
    return Uint8Array.from(await this.call(XS_READ, joinStrings([path]), tx));
  }
  async readString(path: string, tx?: XsTransactionId): Promise<string> {
    return decoder.decode(await this.call(XS_READ, joinStrings([path]), tx));
  }
  async write(path: string, value: Uint8Array | string, tx?: XsTransactionId): Promise<void> {
    const bytes = typeof value === 'string' ? encoder.encode(value) : value;
    await this.call(XS_WRITE, Buffer.concat([joinStrings([path]), bytes]), tx);
  }
  async mkdir(path: string, tx?: XsTransactionId): Promise<void> {
    await this.call(XS_MKDIR, joinStrings([path]), tx);
  }
  async rm(path: string, tx?: XsTransactionId): Promise<void> {
    await this.call(XS_RM, joinStrings([path]), tx);
  }
  async directory(path: string, tx?: XsTransactionId): Promise<string[]> {
    return splitStrings(await this.call(XS_DIRECTORY, joinStrings([path]), tx));
  }
  async getPerms(path: string, tx?: XsTransactionId): Promise<XsPermission[]> {
    return splitStrings(await this.call(XS_GET_PERMS, joinStrings([path]), tx)).map(parsePermission);
  }
  async setPerms(path: string, perms: readonly XsPermission[], tx?: XsTransactionId): Promise<void> {
    await this.call(XS_SET_PERMS, joinStrings([path, ...perms.map(formatPermission)]), tx);
  }
  async transactionStart(): Promise<XsTransactionId> {
    const id = Number.parseInt(latin1(await this.call(XS_TRANSACTION_START, Buffer.from([0]))), 10);
    if (!Number.isInteger(id) || id <= 0) throw new XsError('EINVAL', 'bad transaction id from xenstored');
    return id;
  }
  /** Commits (`true`) or aborts; a conflict rejects with `EAGAIN`. */
  async transactionEnd(tx: XsTransactionId, commit: boolean): Promise<void> {
    await this.call(XS_TRANSACTION_END, joinStrings([commit ? 'T' : 'F']), tx);
  }
  /**
   * Runs `body` in a transaction and commits; on EAGAIN starts again (at most `attempts` times), as
   * the `xenstore-*` tools and libxl do. A throwing body aborts the transaction.
   */
  async transaction<T>(body: (tx: XsTransactionId) => Promise<T>, options: { attempts?: number } = {}): Promise<T> {
    const attempts = options.attempts ?? 16;
    for (let attempt = 1; ; attempt += 1) {
      const tx = await this.transactionStart();
      let result: T;
      try {
        result = await body(tx);
      } catch (error) {
        await this.transactionEnd(tx, false).catch(() => {});
        throw error;
      }
      try {
        await this.transactionEnd(tx, true);
        return result;
      } catch (error) {
        if (!(XsError.is(error) && error.code === 'EAGAIN') || attempt >= attempts) throw error;
      }
    }
  }
  async watch(path: string, token: string): Promise<void> {
    await this.call(XS_WATCH, joinStrings([path, token]));
  }
  async unwatch(path: string, token: string): Promise<void> {
    await this.call(XS_UNWATCH, joinStrings([path, token]));
  }
  async resetWatches(): Promise<void> {
    await this.call(XS_RESET_WATCHES, Buffer.from([0]));
  }
  async getDomainPath(domid: number): Promise<string> {
    return splitStrings(await this.call(XS_GET_DOMAIN_PATH, joinStrings([String(domid)])))[0] ?? '';
  }
  /** XS_INTRODUCE. xenstored wants an event channel port above 0; our server ignores it and the frame. */
  async introduceDomain(domid: number, gfn = 0n, eventChannel = 1): Promise<void> {
    await this.call(XS_INTRODUCE, joinStrings([String(domid), gfn.toString(), String(eventChannel)]));
  }
  async releaseDomain(domid: number): Promise<void> {
    await this.call(XS_RELEASE, joinStrings([String(domid)]));
  }
  async isDomainIntroduced(domid: number): Promise<boolean> {
    return latin1(await this.call(XS_IS_DOMAIN_INTRODUCED, joinStrings([String(domid)]))).startsWith('T');
  }
  async control(command: string, ...args: string[]): Promise<string> {
    return latin1(await this.call(XS_CONTROL, joinStrings([command, ...args])));
  }

  /** Calls `listener` for every watch event (events then no longer queue for `nextWatchEvent`). Returns a remover. */
  onWatchEvent(listener: (event: XsWatchEvent) => void): () => void {
    this.listeners.add(listener);
    for (const event of this.queued.splice(0)) listener(event);
    return () => this.listeners.delete(listener);
  }

  /** The next watch event (queued ones first); undefined when the connection closes first. */
  nextWatchEvent(options: { signal?: AbortSignal } = {}): Promise<XsWatchEvent | undefined> {
    const queued = this.queued.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const signal = options.signal;
      const waiter = (event: XsWatchEvent | undefined) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(event);
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal?.reason);
      };
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Closes the connection; pending requests fail with EBADF. */
  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      this.socket.destroy();
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Connects to a xenstored socket (e.g. one made by `createXenstored`). */
export function connectXenstored(socketPath: string, options?: XsClientOptions): Promise<XsClient> {
  return XsClient.connect(socketPath, options);
}
