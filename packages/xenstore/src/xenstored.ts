/**
 * xenstored as a library: serves a `XenStore` on a Unix stream socket, speaking the xs_wire.h
 * protocol that libxenstore (and so Debian's `xenstore-*` tools with `XENSTORED_PATH`) uses.
 *
 * @see tools/xenstore/xenstored_core.c (handle_input, process_message, wire_funcs, send_reply,
 *   send_error, send_directory_part), xenstored_domain.c (do_introduce, do_release,
 *   do_get_domain_path, do_is_domain_introduced, do_resume, do_set_target)
 */
import { lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer, type Server, type Socket } from 'node:net';
import { XsError, isWireErrorName } from './errors.ts';
import { formatPermission, parsePermission } from './perms.ts';
import type { XenStore, XsConnection, XsOperations, XsWatchEvent } from './store.ts';
import { XENSTORE_PAYLOAD_MAX } from './store.ts';
import {
  XS_CONTROL,
  XS_DIRECTORY,
  XS_DIRECTORY_PART,
  XS_ERROR,
  XS_GET_DOMAIN_PATH,
  XS_GET_PERMS,
  XS_INTRODUCE,
  XS_IS_DOMAIN_INTRODUCED,
  XS_MKDIR,
  XS_READ,
  XS_RELEASE,
  XS_RESET_WATCHES,
  XS_RESUME,
  XS_RM,
  XS_SET_PERMS,
  XS_SET_TARGET,
  XS_TRANSACTION_END,
  XS_TRANSACTION_START,
  XS_UNWATCH,
  XS_WATCH,
  XS_WATCH_EVENT,
  XS_WRITE,
  XsFrameDecoder,
  countStrings,
  encodeMessage,
  joinStrings,
  oneArgument,
  splitStrings,
  type XsMessage,
} from './wire.ts';

export interface XenstoredOptions {
  /**
   * The domain every connection acts as. Default 0: a socket connection is dom0, as in Xen. Another
   * domid makes the server treat its clients as that (unprivileged) domain, for permission tests:
   * our own option, Xen only gives socket clients dom0.
   */
  readonly domid?: number;
  /** Default: domid 0 is privileged, others are not. */
  readonly privileged?: boolean;
  /**
   * Milliseconds between `store.poll()` calls, which deliver watch events for changes other
   * processes made to a shared backend. Only used when the backend has a change log. Default 50; 0 = never.
   */
  readonly pollInterval?: number;
  /**
   * Bytes of replies queued for one client before the server stops reading its requests. Default
   * 1 MiB. A client whose unread output reaches 16 times this (watch events keep coming) is dropped.
   */
  readonly maxQueuedBytes?: number;
  /** Called for unexpected failures (never for ordinary xenstore errors, which are replies). */
  readonly onError?: (error: unknown) => void;
  /**
   * Tells a storage that cannot take a write now (another process holds its lock) from a failure.
   * Such a request waits, with the client's later requests behind it, and is tried again every
   * `busyRetryMs` while other clients are served; a transaction's commit is answered `EAGAIN`
   * instead (the client starts the transaction again, as after a conflict). Default: never busy.
   */
  readonly isBusy?: (error: unknown) => boolean;
  /** Milliseconds between tries of a request the storage was busy for. Default 10. */
  readonly busyRetryMs?: number;
}

export interface Xenstored {
  readonly socketPath: string;
  /** Clients connected now. */
  readonly connectionCount: number;
  /** Stops listening, disconnects every client, removes the socket file. The store stays open. */
  close(): Promise<void>;
}

const OK = Buffer.from('OK\0', 'latin1');
const TRUE = Buffer.from('T\0', 'latin1');
const FALSE = Buffer.from('F\0', 'latin1');
const NUL = Buffer.from([0]);
/** xen.h: a domain's way of naming itself. */
const DOMID_SELF = 0x7ff0;
/** A client's unread output may grow to this many times `maxQueuedBytes` through watch events alone. */
const EVENT_BACKLOG_FACTOR = 16;
/** sizeof(sockaddr_un.sun_path) - 1 */
const SUN_PATH_MAX = 107;

/** C `atoi`: leading blanks, optional sign, digits; anything else ends the number (0 if none). */
export function parseCAtoi(text: string): number {
  const match = /^[\t\n\v\f\r ]*([+-]?\d+)/.exec(text);
  if (!match) return 0;
  return Number.parseInt(match[1]!, 10) | 0;
}

const PRIVILEGED_ONLY = new Set([XS_CONTROL, XS_INTRODUCE, XS_RELEASE, XS_IS_DOMAIN_INTRODUCED, XS_RESUME, XS_SET_TARGET]);
const IGNORES_TRANSACTION = new Set([XS_WATCH, XS_UNWATCH]);

function needOneArgument(payload: Uint8Array): string {
  const argument = oneArgument(payload);
  if (argument === undefined) throw new XsError('EINVAL', 'expected exactly one NUL-terminated argument');
  return argument;
}

const latin1Bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
const asString = (value: Uint8Array): string => Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');

/** The reply payload for one request, or throws an XsError to be sent as XS_ERROR. */
function dispatch(connection: XsConnection, message: XsMessage): Uint8Array {
  const { type, payload } = message;
  if (PRIVILEGED_ONLY.has(type) && !connection.privileged) throw new XsError('EACCES', 'privileged operation');
  let transaction = undefined;
  if (message.txId !== 0 && !IGNORES_TRANSACTION.has(type)) transaction = connection.transactionById(message.txId);
  const target: XsOperations = transaction ?? connection;
  switch (type) {
    case XS_READ:
      return target.read(needOneArgument(payload));
    case XS_WRITE: {
      const nul = payload.indexOf(0);
      if (nul < 0) throw new XsError('EINVAL', 'WRITE needs a NUL-terminated path');
      target.write(asString(payload.subarray(0, nul)), payload.subarray(nul + 1));
      return OK;
    }
    case XS_DIRECTORY:
      return joinStrings(target.directory(needOneArgument(payload)));
    case XS_DIRECTORY_PART: {
      if (countStrings(payload) !== 2) throw new XsError('EINVAL', 'DIRECTORY_PART needs a path and an offset');
      const [path, offsetText] = splitStrings(payload) as [string, string];
      const node = target.readNode(path);
      const children = joinStrings(node.children.toArray());
      const generation = latin1Bytes(`${Math.max(0, node.generation)}\0`);
      const offset = parseCAtoi(offsetText);
      if (offset < 0 || offset >= children.length) return Buffer.concat([generation, NUL]);
      // Whole names only, as many as fit; a final extra NUL marks the end of the list.
      const room = XENSTORE_PAYLOAD_MAX - generation.length - 1;
      let end = offset;
      while (end < children.length) {
        const next = children.indexOf(0, end) + 1;
        if (next - offset > room) break;
        end = next;
      }
      const parts = [generation, children.subarray(offset, end)];
      if (end === children.length) parts.push(NUL);
      return Buffer.concat(parts);
    }
    case XS_GET_PERMS:
      return joinStrings(target.getPerms(needOneArgument(payload)).map(formatPermission));
    case XS_SET_PERMS: {
      const count = countStrings(payload);
      if (count < 2) throw new XsError('EINVAL', 'SET_PERMS needs a path and at least one permission');
      const strings = splitStrings(payload);
      target.setPerms(strings[0]!, strings.slice(1, count).map(parsePermission));
      return OK;
    }
    case XS_MKDIR:
      target.mkdir(needOneArgument(payload));
      return OK;
    case XS_RM:
      target.rm(needOneArgument(payload));
      return OK;
    case XS_WATCH:
    case XS_UNWATCH: {
      const strings = splitStrings(payload);
      if (strings.length !== 2) throw new XsError('EINVAL', 'a watch needs exactly a path and a token');
      if (type === XS_WATCH) connection.watch(strings[0]!, strings[1]!);
      else connection.unwatch(strings[0]!, strings[1]!);
      return OK;
    }
    case XS_TRANSACTION_START:
      if (transaction) throw new XsError('EBUSY', 'already inside a transaction');
      return latin1Bytes(`${connection.transactionStart().id}\0`);
    case XS_TRANSACTION_END: {
      const argument = oneArgument(payload);
      if (argument !== 'T' && argument !== 'F') throw new XsError('EINVAL', 'TRANSACTION_END takes T or F');
      if (!transaction) throw new XsError('ENOENT', 'no transaction');
      transaction.end(argument === 'T');
      return OK;
    }
    case XS_GET_DOMAIN_PATH:
      return latin1Bytes(`${connection.getDomainPath(parseCAtoi(needOneArgument(payload)))}\0`);
    case XS_INTRODUCE: {
      const strings = splitStrings(payload);
      if (strings.length < 3) throw new XsError('EINVAL', 'INTRODUCE needs a domid, a frame number and an event channel');
      // The frame number is not needed; the event channel must look like one. @see do_introduce
      if (parseCAtoi(strings[2]!) <= 0) throw new XsError('EINVAL', 'INTRODUCE needs an event channel port above 0');
      connection.introduceDomain(parseCAtoi(strings[0]!));
      return OK;
    }
    case XS_RELEASE:
      connection.releaseDomain(parseCAtoi(needOneArgument(payload)));
      return OK;
    case XS_IS_DOMAIN_INTRODUCED: {
      const domid = parseCAtoi(needOneArgument(payload));
      return domid === DOMID_SELF || connection.isDomainIntroduced(domid) ? TRUE : FALSE;
    }
    case XS_RESUME:
      if (!connection.isDomainIntroduced(parseCAtoi(needOneArgument(payload)))) throw new XsError('ENOENT', 'no such domain');
      return OK;
    case XS_SET_TARGET: {
      const strings = splitStrings(payload);
      if (strings.length < 2) throw new XsError('EINVAL', 'SET_TARGET needs two domids');
      for (const text of strings.slice(0, 2)) {
        if (!connection.isDomainIntroduced(parseCAtoi(text))) throw new XsError('ENOENT', 'no such domain');
      }
      return OK;
    }
    case XS_RESET_WATCHES:
      connection.resetWatches();
      return OK;
    case XS_CONTROL: {
      if (countStrings(payload) < 1) throw new XsError('EINVAL', 'CONTROL needs a command');
      const [command] = splitStrings(payload);
      if (command === 'help') return latin1Bytes('Valid commands:\nhelp\nprint|<string>\n\0');
      if (command === 'print') return OK;
      throw new XsError('EINVAL', `unknown control command ${JSON.stringify(command)}`);
    }
    default:
      throw new XsError('ENOSYS', `unknown message type ${type}`);
  }
}

/** A reply: its message type and payload. */
interface Reply {
  readonly type: number;
  readonly payload: Uint8Array;
  /** Sent only after the pause a busy storage asks for. */
  readonly afterPause?: boolean;
}

/** A request waiting to be answered, with its reply once it has one. */
interface Pending {
  readonly message: XsMessage;
  reply?: Reply;
}

/** Serves one client socket. */
class ClientConnection {
  private readonly decoder = new XsFrameDecoder();
  private readonly connection: XsConnection;
  private readonly events: XsWatchEvent[] = [];
  /** Requests in arrival order; the first may be waiting for the storage. */
  private readonly pending: Pending[] = [];
  private retry: NodeJS.Timeout | undefined;
  private busy = false;
  private paused = false;
  private readonly socket: Socket;
  private readonly options: XenstoredOptions;
  private readonly onError: (error: unknown) => void;

  constructor(socket: Socket, store: XenStore, options: XenstoredOptions, onError: (error: unknown) => void) {
    this.socket = socket;
    this.options = options;
    this.onError = onError;
    const domid = options.domid ?? 0;
    this.connection = store.connect(domid, {
      privileged: options.privileged ?? domid === 0,
      onWatchEvent: (event) => {
        if (this.busy) this.events.push(event);
        else this.sendEvent(event);
      },
    });
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => {
      if (this.paused) {
        this.paused = false;
        socket.resume();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(this.retry);
      this.pending.length = 0;
      this.connection.close();
    });
  }

  private get maxQueuedBytes(): number {
    return this.options.maxQueuedBytes ?? 1 << 20;
  }

  private sendEvent(event: XsWatchEvent): void {
    const payload = joinStrings([event.path, event.token]);
    // xenstored does not send an event that would not fit in one message.
    if (payload.length > XENSTORE_PAYLOAD_MAX || this.socket.destroyed) return;
    // A client that stopped reading while events keep coming is dropped rather than buffered forever.
    if (this.socket.writableLength > EVENT_BACKLOG_FACTOR * this.maxQueuedBytes) {
      this.socket.destroy();
      return;
    }
    this.socket.write(encodeMessage({ type: XS_WATCH_EVENT, reqId: 0, txId: 0, payload }));
  }

  private receive(chunk: Buffer): void {
    let messages: XsMessage[];
    try {
      messages = this.decoder.push(chunk);
    } catch {
      // An oversized frame: the stream cannot be resynchronised, drop the client as xenstored does.
      this.socket.destroy();
      return;
    }
    for (const message of messages) this.pending.push({ message });
    if (this.retry === undefined) this.answerPending();
  }

  /** Answers waiting requests in order, until one must wait for the storage. */
  private answerPending(): void {
    const socket = this.socket;
    // Several requests in one read: their replies go out in one write.
    const corked = this.pending.length > 1;
    if (corked) socket.cork();
    try {
      while (this.pending.length > 0 && !socket.destroyed) {
        const pending = this.pending[0]!;
        if (pending.reply === undefined) {
          const reply = this.answer(pending.message);
          if (reply === undefined || reply.afterPause) {
            pending.reply = reply;
            this.waitForStorage();
            return;
          }
          pending.reply = reply;
        }
        this.pending.shift();
        this.send(pending.message, pending.reply);
      }
    } finally {
      if (corked) socket.uncork();
      if (socket.writableLength > this.maxQueuedBytes && !this.paused && !socket.destroyed) {
        this.paused = true;
        socket.pause();
      }
    }
  }

  /** Tries the first waiting request again later; the client's further requests wait unread meanwhile. */
  private waitForStorage(): void {
    this.socket.pause();
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.paused) this.socket.resume();
      this.answerPending();
    }, this.options.busyRetryMs ?? 10);
  }

  /** The reply to one request, or undefined when the storage is busy and it must be tried again. */
  private answer(message: XsMessage): Reply | undefined {
    this.busy = true;
    try {
      const payload = dispatch(this.connection, message);
      if (payload.length > XENSTORE_PAYLOAD_MAX) throw new XsError('E2BIG', 'reply too long for one message');
      return { type: message.type, payload };
    } catch (error) {
      let code = 'EINVAL';
      if (this.options.isBusy?.(error)) {
        // The transaction is over either way: it is told to start again, as after a conflict,
        // after a pause, so that a client starting again at once does not spin.
        if (!isTransactionCommit(message)) return undefined;
        return { type: XS_ERROR, payload: latin1Bytes('EAGAIN\0'), afterPause: true };
      } else if (XsError.is(error)) {
        if (isWireErrorName(error.code)) code = error.code;
      } else {
        this.onError(error);
      }
      return { type: XS_ERROR, payload: latin1Bytes(`${code}\0`) };
    } finally {
      this.busy = false;
    }
  }

  private send(message: XsMessage, reply: Reply): void {
    this.socket.write(encodeMessage({ type: reply.type, reqId: message.reqId, txId: message.txId, payload: reply.payload }));
    if (this.events.length > 0) {
      const events = this.events.splice(0, this.events.length);
      for (const event of events) this.sendEvent(event);
    }
  }
}

/** XS_TRANSACTION_END inside a transaction: the one request whose busy storage is answered EAGAIN. */
function isTransactionCommit(message: XsMessage): boolean {
  return message.type === XS_TRANSACTION_END && message.txId !== 0;
}

function prepareSocketPath(socketPath: string): void {
  if (Buffer.byteLength(socketPath) > SUN_PATH_MAX) {
    throw new XsError('EINVAL', `socket path longer than ${SUN_PATH_MAX} bytes: ${socketPath}`);
  }
  // xenstored_core.c init_sockets: mkdir(xenstore_daemon_rundir(), 0755) before it binds.
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o755 });
  let stats;
  try {
    stats = lstatSync(socketPath);
  } catch {
    return;
  }
  if (!stats.isSocket()) throw new XsError('EEXIST', `${socketPath} exists and is not a socket`);
  unlinkSync(socketPath);
}

/** Starts serving `store` on a Unix socket at `socketPath` (a stale socket there is replaced). */
export async function createXenstored(store: XenStore, socketPath: string, options: XenstoredOptions = {}): Promise<Xenstored> {
  const domid = options.domid ?? 0;
  if (!Number.isInteger(domid) || domid < 0 || domid > 0xffff) throw new XsError('EINVAL', `invalid domain id ${String(domid)}`);
  prepareSocketPath(socketPath);
  const onError = options.onError ?? (() => {});
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    try {
      new ClientConnection(socket, store, options, onError);
    } catch (error) {
      onError(error);
      socket.destroy();
    }
  });
  server.on('error', onError);
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => reject(error);
    server.once('error', fail);
    server.listen(socketPath, () => {
      server.off('error', fail);
      resolve();
    });
  });

  const interval = options.pollInterval ?? 50;
  let timer: NodeJS.Timeout | undefined;
  if (interval > 0 && store.backend.readChanges) {
    timer = setInterval(() => {
      try {
        store.poll();
      } catch (error) {
        onError(error);
      }
    }, interval);
    timer.unref();
  }

  let closing: Promise<void> | undefined;
  return {
    socketPath,
    get connectionCount() {
      return sockets.size;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        if (timer) clearInterval(timer);
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
