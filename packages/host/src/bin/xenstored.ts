#!/usr/bin/env node
/**
 * `xenstored --socket <path> [--host <file>]`: serves a host file's xenstore (or, without `--host`,
 * a fresh in-memory one) on a Unix socket, as Xen's xenstored serves `/var/run/xenstored/socket`
 * (`tools/xenstore/xenstored_core.c` main). Runs in the foreground, logs to stderr, and on SIGTERM
 * or SIGINT stops, removes its socket and exits 0. Debian's `xenstore-*` tools reach it with
 * `XENSTORED_PATH=<path>`.
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createMemoryStore, createXenstored, type XenStore } from '@xen-genid/xenstore';
import { HostError } from '../errors.ts';
import { openHost, type Host } from '../open-host.ts';

const USAGE = 'Usage: xenstored --socket <path> [--host <file>]\n';

function log(message: string): void {
  process.stderr.write(`xenstored: ${message}\n`);
}

/**
 * Opens the host file with no busy timeout: a request that finds the write lock taken fails at once
 * and is tried again later, so the one thread never stalls while another process writes. Opening
 * itself (recovery may write) is tried again until the lock is free.
 */
async function openWithoutWaiting(path: string): Promise<Host> {
  for (;;) {
    try {
      return openHost(path, { trackOperations: false, busyTimeoutMs: 0 });
    } catch (error) {
      if (!(HostError.is(error) && error.code === 'BUSY')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let values: { socket?: string; host?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        socket: { type: 'string', short: 's' },
        host: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`xenstored: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.socket) {
    process.stderr.write(`xenstored: --socket is required\n${USAGE}`);
    return 2;
  }
  let host: Host | undefined;
  let store: XenStore;
  try {
    if (values.host !== undefined) {
      host = await openWithoutWaiting(values.host);
      store = host.store;
    } else {
      store = createMemoryStore();
    }
  } catch (error) {
    log(HostError.is(error) ? error.message : `cannot open the store: ${String(error)}`);
    return 1;
  }
  const socketPath = values.socket;
  let server: Awaited<ReturnType<typeof createXenstored>>;
  try {
    server = await createXenstored(store, socketPath, {
      onError: (error) => log(`error: ${String(error)}`),
      // A write waits, without holding up other clients, while another process holds the lock.
      isBusy: (error) => HostError.is(error) && error.code === 'BUSY',
    });
  } catch (error) {
    log(`cannot listen on ${socketPath}: ${(error as Error).message}`);
    if (host) host.close();
    else store.close();
    return 1;
  }
  log(`serving ${host ? `host file ${host.path}` : 'an in-memory store'} on ${socketPath} (pid ${process.pid})`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`${signal}: shutting down`);
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await server.close();
  rmSync(socketPath, { force: true });
  if (host) host.close();
  else store.close();
  log('stopped');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  },
);
