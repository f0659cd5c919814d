import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { XsClient } from './client.ts';
import { XS_ERROR, XS_READ, XS_WATCH_EVENT, XS_WRITE, XsFrameDecoder, encodeMessage, joinStrings } from './wire.ts';

let dir: string;
let socketPath: string;
let server: Server | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'xs-client-'));
  socketPath = join(dir, 'socket');
});

afterEach(async () => {
  if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** A scripted server: `answer` gets each request and the socket. */
async function serve(answer: (request: { type: number; payload: Uint8Array }, socket: Socket) => void): Promise<void> {
  server = createServer((socket) => {
    const decoder = new XsFrameDecoder();
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      for (const message of decoder.push(chunk)) answer(message, socket);
    });
  });
  await new Promise<void>((resolve) => server!.listen(socketPath, resolve));
}

describe('XsClient against misbehaving servers', () => {
  it('maps error names as libxenstore does: unknown names become EINVAL', async () => {
    const names = ['EACCES\0', 'ENOENT', 'eacces\0', '\0', 'EWHATEVER\0'];
    await serve((_request, socket) => {
      socket.write(encodeMessage({ type: XS_ERROR, reqId: 0, txId: 0, payload: Buffer.from(names.shift()!, 'latin1') }));
    });
    await using client = await XsClient.connect(socketPath);
    const codes = [];
    for (let index = 0; index < 5; index += 1) codes.push(await client.read('/x').catch((error: { code: string }) => error.code));
    expect(codes).toEqual(['EACCES', 'ENOENT', 'EINVAL', 'EINVAL', 'EINVAL']);
  });

  it('fails with EBADF and closes when a reply has the wrong type', async () => {
    await serve((_request, socket) => {
      socket.write(encodeMessage({ type: XS_WRITE, reqId: 0, txId: 0, payload: Buffer.from('OK\0') }));
    });
    await using client = await XsClient.connect(socketPath);
    await expect(client.read('/x')).rejects.toMatchObject({ code: 'EBADF' });
    await expect(client.read('/x')).rejects.toMatchObject({ code: 'EBADF' });
    expect(client.closed).toBe(true);
  });

  it('fails with E2BIG and closes when a reply announces more than 4096 bytes, as libxenstore', async () => {
    await serve((_request, socket) => {
      const header = Buffer.alloc(16);
      header.writeUInt32LE(XS_READ, 0);
      header.writeUInt32LE(5000, 12);
      socket.write(header);
    });
    await using client = await XsClient.connect(socketPath);
    await expect(client.read('/x')).rejects.toMatchObject({ code: 'E2BIG' });
    expect(client.closed).toBe(true);
  });

  it('delivers watch events that arrive between replies, ignores the reply req_id', async () => {
    await serve((request, socket) => {
      socket.write(encodeMessage({ type: XS_WATCH_EVENT, reqId: 0, txId: 0, payload: joinStrings(['/w/x', 'tok']) }));
      socket.write(encodeMessage({ type: request.type, reqId: 0xdeadbeef, txId: 0, payload: Buffer.from('value') }));
    });
    await using client = await XsClient.connect(socketPath);
    expect(await client.readString('/x')).toBe('value');
    expect(await client.nextWatchEvent()).toEqual({ path: '/w/x', token: 'tok' });
  });

  it('rejects pending calls with EBADF when the server goes away', async () => {
    await serve((_request, socket) => socket.destroy());
    await using client = await XsClient.connect(socketPath);
    await expect(client.read('/x')).rejects.toMatchObject({ code: 'EBADF' });
    expect(await client.nextWatchEvent()).toBeUndefined();
  });

  it('refuses to send a request longer than XENSTORE_PAYLOAD_MAX, sending nothing', async () => {
    let received = 0;
    await serve((request, socket) => {
      received += 1;
      socket.write(encodeMessage({ type: request.type, reqId: 0, txId: 0, payload: Buffer.from('OK\0') }));
    });
    await using client = await XsClient.connect(socketPath);
    await expect(client.write('/b', 'x'.repeat(4094))).rejects.toMatchObject({ code: 'E2BIG' });
    await client.write('/b', 'x'.repeat(4093));
    expect(received).toBe(1);
  });

  it('fails to connect with EBADF when nothing listens', async () => {
    await expect(XsClient.connect(join(dir, 'nothing'))).rejects.toMatchObject({ code: 'EBADF' });
  });
});
