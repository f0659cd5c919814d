import { createServer, connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunkSource } from '../stream/byte-source.ts';
import { channelFromDuplex, createChannelPair } from './channel.ts';

describe('migration channels', () => {
  it('an in-process pair carries bytes both ways, copied, and ends', async () => {
    const [left, right] = createChannelPair();
    const buffer = Uint8Array.of(1, 2, 3);
    await left.write(buffer);
    buffer[0] = 9; // the sender may reuse its buffer
    left.end();
    await right.write(Uint8Array.of(7));
    const received = chunkSource(right.incoming);
    expect([...(await received.read(3, 'three bytes'))]).toEqual([1, 2, 3]);
    await expect(received.read(1, 'one more byte')).rejects.toThrow(/truncated: one more byte/);
    expect([...(await chunkSource(left.incoming).read(1, 'reply'))]).toEqual([7]);
    await expect(left.write(Uint8Array.of(1))).rejects.toThrow(/closed/);
  });

  it('a Unix socket adapts to a channel', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xl-lib-channel-'));
    const path = join(dir, 'sock');
    const accepted = new Promise<Socket>((resolve) => {
      const server = createServer((socket) => {
        server.close();
        resolve(socket);
      }).listen(path);
    });
    try {
      const client = channelFromDuplex(connect(path));
      const server = channelFromDuplex(await accepted);
      await client.write(new Uint8Array(100_000).fill(5));
      client.end();
      const bytes = await chunkSource(server.incoming).read(100_000, 'payload');
      expect(bytes.every((byte) => byte === 5)).toBe(true);
      await server.write(Uint8Array.of(0x52));
      server.end();
      expect([...(await chunkSource(client.incoming).read(1, 'answer'))]).toEqual([0x52]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
