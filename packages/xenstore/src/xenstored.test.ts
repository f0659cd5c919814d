import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { XsClient } from './client.ts';
import { XsError } from './errors.ts';
import { createMemoryBackend, shareMemoryBackend } from './memory-backend.ts';
import { createMemoryStore } from './memory-store.ts';
import { createXenStore } from './store.ts';
import type { XenStore } from './store.ts';
import { XS_DIRECTORY_PART, XS_ERROR, XS_INTRODUCE, XS_READ, XS_TRANSACTION_START, XS_WRITE, joinStrings, splitStrings } from './wire.ts';
import { createXenstored, type Xenstored } from './xenstored.ts';

let dir: string;
let store: XenStore;
let server: Xenstored;
let socketPath: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xs-server-'));
  socketPath = join(dir, 'socket');
  store = createMemoryStore();
  server = await createXenstored(store, socketPath);
});

afterEach(async () => {
  await server.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('createXenstored with the async client', () => {
  it('reads, writes, lists and reports errors by errno name', async () => {
    await using client = await XsClient.connect(socketPath);
    await client.write('/local/domain/1/platform/generation-id', '11400714819323198485:123');
    expect(await client.readString('/local/domain/1/platform/generation-id')).toBe('11400714819323198485:123');
    expect(await client.directory('/local/domain/1')).toEqual(['platform']);
    expect(await client.getPerms('/local/domain/1')).toEqual([{ id: 0, access: 'n' }]);
    await expect(client.read('/nope')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(client.read('bad//')).rejects.toMatchObject({ code: 'EINVAL' });
    // Relative paths of a socket connection are under /local/domain/0.
    await client.write('relkey', 'relval');
    expect(await client.readString('/local/domain/0/relkey')).toBe('relval');
    expect(await client.getDomainPath(7)).toBe('/local/domain/7');
  });

  it('runs transactions per connection and answers conflicts with EAGAIN', async () => {
    await using a = await XsClient.connect(socketPath);
    await using b = await XsClient.connect(socketPath);
    await a.write('/vm/a', 'a');
    const tx = await a.transactionStart();
    expect(tx).toBe(1);
    expect(await a.readString('/vm/a', tx)).toBe('a');
    await b.write('/vm/a', 'b');
    expect(await a.readString('/vm/a', tx)).toBe('a');
    await a.write('/vm/a', 'c', tx);
    await expect(a.transactionEnd(tx, true)).rejects.toMatchObject({ code: 'EAGAIN' });
    expect(await b.readString('/vm/a')).toBe('b');
    // b does not see a's transactions.
    const tx2 = await a.transactionStart();
    expect(tx2).toBe(2);
    await expect(b.read('/vm/a', tx2)).rejects.toMatchObject({ code: 'ENOENT' });
    await a.transactionEnd(tx2, false);
    await expect(a.transactionEnd(tx2, false)).rejects.toMatchObject({ code: 'ENOENT' });
    const reply = await a.request(XS_TRANSACTION_START, Buffer.from([0]), 99);
    expect(reply.type).toBe(XS_ERROR);
  });

  it('retries a transaction body on EAGAIN with transaction()', async () => {
    await using a = await XsClient.connect(socketPath);
    await using b = await XsClient.connect(socketPath);
    await a.write('/count', '0');
    let attempts = 0;
    const result = await a.transaction(async (tx) => {
      attempts += 1;
      const value = Number(await a.readString('/count', tx));
      if (attempts === 1) await b.write('/count', '10');
      await a.write('/count', String(value + 1), tx);
      return value + 1;
    });
    expect(attempts).toBe(2);
    expect(result).toBe(11);
    expect(await b.readString('/count')).toBe('11');
    await expect(a.transaction(async () => Promise.reject(new Error('body failed')))).rejects.toThrow('body failed');
    // The failed body's transaction was aborted: a new one gets the next id and nothing leaked.
    expect(await a.transactionStart()).toBe(4);
  });

  it('sends the initial watch event, then events for changes below the path', async () => {
    await using watcher = await XsClient.connect(socketPath);
    await using writer = await XsClient.connect(socketPath);
    await watcher.watch('/watched', 'tok');
    expect(await watcher.nextWatchEvent()).toEqual({ path: '/watched', token: 'tok' });
    await writer.write('/watched/x', '1');
    await writer.write('/elsewhere', '1');
    expect(await watcher.nextWatchEvent()).toEqual({ path: '/watched/x', token: 'tok' });
    await expect(watcher.watch('/watched', 'tok')).rejects.toMatchObject({ code: 'EEXIST' });
    await watcher.unwatch('/watched', 'tok');
    await expect(watcher.unwatch('/watched', 'tok')).rejects.toMatchObject({ code: 'ENOENT' });
    await watcher.watch('@introduceDomain', 'intro');
    expect(await watcher.nextWatchEvent()).toEqual({ path: '@introduceDomain', token: 'intro' });
    await writer.introduceDomain(5);
    expect(await watcher.nextWatchEvent()).toEqual({ path: '@introduceDomain', token: 'intro' });
    expect(await writer.isDomainIntroduced(5)).toBe(true);
  });

  it('answers in order when many requests are in flight', async () => {
    await using client = await XsClient.connect(socketPath);
    const writes = Array.from({ length: 200 }, (_, index) => client.write(`/seq/${index}`, String(index)));
    await Promise.all(writes);
    const reads = await Promise.all(Array.from({ length: 200 }, (_, index) => client.readString(`/seq/${index}`)));
    expect(reads).toEqual(Array.from({ length: 200 }, (_, index) => String(index)));
  });

  it('pages a long directory with DIRECTORY_PART after DIRECTORY says E2BIG', async () => {
    const dom0 = store.connect(0);
    const names = Array.from({ length: 300 }, (_, index) => `child-${String(index).padStart(4, '0')}-padding`);
    for (const name of names) dom0.mkdir(`/bigdir/${name}`);
    await using client = await XsClient.connect(socketPath);
    await expect(client.directory('/bigdir')).rejects.toMatchObject({ code: 'E2BIG' });
    const collected: string[] = [];
    let offset = 0;
    let generation: string | undefined;
    for (;;) {
      const reply = await client.request(XS_DIRECTORY_PART, joinStrings(['/bigdir', String(offset)]));
      expect(reply.type).toBe(XS_DIRECTORY_PART);
      expect(reply.payload.length).toBeLessThanOrEqual(4096);
      const strings = splitStrings(reply.payload);
      generation ??= strings[0];
      expect(strings[0]).toBe(generation);
      const part = strings.slice(1);
      const done = part.length > 0 && part[part.length - 1] === '';
      const children = done ? part.slice(0, -1) : part;
      collected.push(...children);
      for (const child of children) offset += child.length + 1;
      if (done) break;
    }
    expect(collected).toEqual(names);
  });

  it('answers unprivileged connections as their domain', async () => {
    const guestPath = join(dir, 'guest');
    const guestServer = await createXenstored(store, guestPath, { domid: 3 });
    try {
      const dom0 = store.connect(0);
      dom0.write('/local/domain/3/name', 'guest');
      dom0.setPerms('/local/domain/3', [{ id: 3, access: 'n' }]);
      dom0.setPerms('/local/domain/3/name', [{ id: 0, access: 'r' }]);
      await using guest = await XsClient.connect(guestPath);
      expect(await guest.readString('name')).toBe('guest');
      await expect(guest.write('name', 'x')).rejects.toMatchObject({ code: 'EACCES' });
      await expect(guest.read('/tool/xenstored')).rejects.toMatchObject({ code: 'EACCES' });
      await expect(guest.introduceDomain(9)).rejects.toMatchObject({ code: 'EACCES' });
      await guest.write('own', 'mine');
      expect(await guest.getPerms('own')).toEqual([{ id: 3, access: 'n' }]);
    } finally {
      await guestServer.close();
    }
  });

  it('drops a client that announces an oversized frame, and keeps serving others', async () => {
    await using other = await XsClient.connect(socketPath);
    const closed = new Promise<void>((resolve) => {
      const raw = connect(socketPath, () => {
        const header = Buffer.alloc(16);
        header.writeUInt32LE(XS_READ, 0);
        header.writeUInt32LE(5000, 12);
        raw.write(header);
      });
      raw.on('close', () => resolve());
      raw.on('error', () => {});
    });
    await closed;
    await other.write('/still', 'up');
    expect(await other.readString('/still')).toBe('up');
  });

  it('rejects an unknown type with ENOSYS and a bad argument with EINVAL', async () => {
    await using client = await XsClient.connect(socketPath);
    const unknown = await client.request(99, Buffer.from([0]));
    expect(unknown.type).toBe(XS_ERROR);
    expect(Buffer.from(unknown.payload).toString('latin1')).toBe('ENOSYS\0');
    const noNul = await client.request(XS_READ, Buffer.from('/x', 'latin1'));
    expect(Buffer.from(noNul.payload).toString('latin1')).toBe('EINVAL\0');
    const noPath = await client.request(XS_WRITE, Buffer.from('abc', 'latin1'));
    expect(Buffer.from(noPath.payload).toString('latin1')).toBe('EINVAL\0');
    expect(XsError.is(await client.read('/none').catch((error: unknown) => error))).toBe(true);
  });

  it('handles the domain messages as 4.17 does', async () => {
    await using client = await XsClient.connect(socketPath);
    const introduce = await client.request(XS_INTRODUCE, joinStrings(['4', '1234', '0']));
    expect(Buffer.from(introduce.payload).toString('latin1')).toBe('EINVAL\0');
    await client.introduceDomain(4, 1234n, 5);
    expect(await client.isDomainIntroduced(4)).toBe(true);
    // Domain-0 is introduced from the start, and DOMID_SELF always is.
    expect(await client.isDomainIntroduced(0)).toBe(true);
    expect(await client.isDomainIntroduced(0x7ff0)).toBe(true);
    expect(await client.isDomainIntroduced(9)).toBe(false);
    await expect(client.releaseDomain(0)).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(client.releaseDomain(9)).rejects.toMatchObject({ code: 'ENOENT' });
    await client.releaseDomain(4);
    expect(await client.isDomainIntroduced(4)).toBe(false);
    expect(await client.control('help')).toMatch(/^Valid commands:/);
    await expect(client.control('bogus')).rejects.toMatchObject({ code: 'EINVAL' });
  });
});

describe('createXenstored setup', () => {
  it('refuses a socket path too long for sun_path and a path that is not a socket', async () => {
    await expect(createXenstored(store, join(dir, 'x'.repeat(120)))).rejects.toMatchObject({ code: 'EINVAL' });
    const file = join(dir, 'regular-file');
    writeFileSync(file, 'keep me');
    await expect(createXenstored(store, file)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it("creates the socket's missing directory, as xenstored makes its run directory", async () => {
    const nested = join(dir, 'run', 'xenstored', 'socket');
    const created = await createXenstored(store, nested);
    try {
      await using client = await XsClient.connect(nested);
      expect(await client.directory('/')).toEqual(['tool']);
    } finally {
      await created.close();
    }
  });

  it('replaces a stale socket and removes its socket on close', async () => {
    await server.close();
    server = await createXenstored(store, socketPath);
    await using client = await XsClient.connect(socketPath);
    expect(await client.directory('/')).toEqual(['tool']);
    await server.close();
    expect(existsSync(socketPath)).toBe(false);
    server = await createXenstored(store, socketPath);
  });

  it('delivers watch events for changes another store made to shared storage', async () => {
    const backend = createMemoryBackend({ changeLog: true });
    const storeA = createXenStore(backend);
    const storeB = createXenStore(shareMemoryBackend(backend));
    const sharedPath = join(dir, 'shared');
    const shared = await createXenstored(storeB, sharedPath, { pollInterval: 10 });
    try {
      await using client = await XsClient.connect(sharedPath);
      await client.watch('/vm', 'vm');
      expect(await client.nextWatchEvent()).toEqual({ path: '/vm', token: 'vm' });
      storeA.connect(0).write('/vm/uuid/name', 'guest');
      const signal = AbortSignal.timeout(5_000);
      expect(await client.nextWatchEvent({ signal })).toEqual({ path: '/vm/uuid/name', token: 'vm' });
      expect(await client.readString('/vm/uuid/name')).toBe('guest');
    } finally {
      await shared.close();
      storeB.close();
      storeA.close();
    }
  });
});

describe('createXenstored under slow or dribbling clients', () => {
  it('answers a frame that arrives one byte at a time', async () => {
    const frame = Buffer.concat([
      Buffer.from([2, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0]),
      Buffer.from('/tool\0', 'latin1'),
    ]);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = connect(socketPath, async () => {
        for (const byte of frame) {
          socket.write(Buffer.from([byte]));
          await new Promise((wait) => setTimeout(wait, 1));
        }
      });
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        const all = Buffer.concat(chunks);
        if (all.length >= 16 && all.length >= 16 + all.readUInt32LE(12)) {
          socket.destroy();
          resolve(all);
        }
      });
      socket.on('error', reject);
    });
    expect(reply.readUInt32LE(0)).toBe(XS_READ);
    expect(reply.readUInt32LE(4)).toBe(9);
    expect(reply.readUInt32LE(12)).toBe(0);
  });

  it('keeps serving others while a client that never reads its replies is paused', async () => {
    const slowPath = join(dir, 'slow');
    const slowServer = await createXenstored(store, slowPath, { maxQueuedBytes: 64 * 1024 });
    try {
      store.connect(0).write('/big', 'x'.repeat(4000));
      const request = Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0]), Buffer.from('/big\0', 'latin1')]);
      const hog = connect(slowPath);
      hog.on('error', () => {});
      hog.pause();
      await new Promise<void>((resolve) => hog.once('connect', () => resolve()));
      // 20,000 requests whose replies are never read: about 80 MB if the server kept answering.
      hog.write(Buffer.concat(Array.from({ length: 20_000 }, () => request)));
      await using other = await XsClient.connect(slowPath);
      for (let index = 0; index < 20; index += 1) {
        await other.write('/other', String(index));
        expect(await other.readString('/other')).toBe(String(index));
      }
      hog.destroy();
    } finally {
      await slowServer.close();
    }
  });
});
