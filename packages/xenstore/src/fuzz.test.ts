/**
 * Fuzzing the server with random and mutated xsd_sockmsg frames (fast-check): it must answer every
 * whole frame with a well-formed reply or drop the connection, never crash or stall, and another
 * client on the same server must not notice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { XsClient } from './client.ts';
import { createMemoryStore } from './memory-store.ts';
import type { XenStore } from './store.ts';
import { XS_ERROR, XS_HEADER_SIZE, XS_WATCH_EVENT, XsFrameDecoder, encodeMessage, joinStrings } from './wire.ts';
import { createXenstored, type Xenstored } from './xenstored.ts';

const RUNS = 500;
const FRAMES_PER_RUN = 20;

let dir: string;
let store: XenStore;
let server: Xenstored;
let guestServer: Xenstored;
let socketPath: string;
let guestPath: string;
let observer: XsClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xs-fuzz-'));
  socketPath = join(dir, 'socket');
  store = createMemoryStore();
  server = await createXenstored(store, socketPath);
  guestPath = join(dir, 'guest');
  guestServer = await createXenstored(store, guestPath, { domid: 5 });
  observer = await XsClient.connect(socketPath);
});

afterAll(async () => {
  await observer?.close();
  await guestServer?.close();
  await server?.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const paths = fc.constantFrom('/', '/fuzz', '/fuzz/a', '/fuzz/a/b', 'rel', '/tool/xenstored', '@introduceDomain', '@releaseDomain', '/bad//', '', '/observer');
const text = fc.string({ maxLength: 12 });
const txId = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 0xffffffff }));

/** Well-formed requests of every type, to mutate. */
const validFrame = fc
  .tuple(
    fc.integer({ min: 0, max: 24 }),
    fc.integer({ min: 0, max: 0xffffffff }),
    txId,
    paths,
    fc.array(fc.oneof(text, fc.constantFrom('T', 'F', 'r1', 'b0', 'n5', '0', '100', '1')), { maxLength: 3 }),
  )
  .map(([type, reqId, tx, path, args]) => encodeMessage({ type, reqId, txId: tx, payload: joinStrings([path, ...args]) }));

/** Anything: random header fields, a payload that may not match the length it claims. */
const randomFrame = fc
  .tuple(
    fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 0xffffffff })),
    fc.integer({ min: 0, max: 0xffffffff }),
    txId,
    fc.uint8Array({ maxLength: 96 }),
    fc.oneof({ weight: 30, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) }),
  )
  .map(([type, reqId, tx, payload, claimed]) => {
    const frame = Buffer.alloc(XS_HEADER_SIZE + payload.length);
    frame.writeUInt32LE(type >>> 0, 0);
    frame.writeUInt32LE(reqId >>> 0, 4);
    frame.writeUInt32LE(tx >>> 0, 8);
    frame.writeUInt32LE((claimed ?? payload.length) >>> 0, 12);
    frame.set(payload, XS_HEADER_SIZE);
    return frame;
  });

/** A valid frame with bytes flipped, inserted, or cut off; its length field mostly corrected afterwards. */
const mutatedFrame = fc
  .tuple(
    validFrame,
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'insert', 'cut')), { minLength: 1, maxLength: 3 }),
    fc.integer({ min: 0, max: 7 }),
  )
  .map(([frame, mutations, keepLength]) => {
    let bytes = Buffer.from(frame);
    for (const [position, value, kind] of mutations) {
      const at = position % Math.max(1, bytes.length);
      if (kind === 'flip') bytes[at] = value;
      else if (kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([value]), bytes.subarray(at)]);
      else bytes = bytes.subarray(0, at);
    }
    // Mostly keep the stream in step (so later frames are parsed too): fix the length field up.
    if (keepLength > 0) {
      bytes = bytes.length >= XS_HEADER_SIZE ? Buffer.from(bytes) : Buffer.concat([bytes, Buffer.alloc(XS_HEADER_SIZE - bytes.length)]);
      bytes.writeUInt32LE(bytes.length - XS_HEADER_SIZE, 12);
    }
    return bytes;
  });

const frame = fc.oneof(validFrame, randomFrame, mutatedFrame);

/** Sends the bytes, half-closes, and collects everything the server says until it closes. */
function exchange(path: string, bytes: Buffer): Promise<{ replies: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(path, () => {
      socket.end(bytes);
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('server stalled: no close within 5 s'));
    }, 5_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ replies: Buffer.concat(chunks), closed: true });
    });
  });
}

it(`survives ${RUNS * FRAMES_PER_RUN} random and mutated frames without affecting another client`, async () => {
  const seed = Number(process.env.XEN_GENID_FUZZ_SEED ?? Date.now() % 2 ** 31);
  console.log(`xenstore wire fuzz seed: ${seed} (XEN_GENID_FUZZ_SEED to replay)`);
  let frames = 0;
  let replyCount = 0;
  let round = 0;
  await fc.assert(
    fc.asyncProperty(fc.boolean(), fc.array(frame, { minLength: FRAMES_PER_RUN, maxLength: FRAMES_PER_RUN }), async (asGuest, batch) => {
      frames += batch.length;
      round += 1;
      // Half the batches come from a connection acting as unprivileged domain 5.
      const { replies } = await exchange(asGuest ? guestPath : socketPath, Buffer.concat(batch));
      // Every reply is a whole, well-formed frame.
      const decoder = new XsFrameDecoder();
      const messages = decoder.push(replies);
      expect(decoder.pending).toBe(0);
      replyCount += messages.length;
      for (const message of messages) {
        expect(message.payload.length).toBeLessThanOrEqual(4096);
        if (message.type === XS_ERROR) expect(Buffer.from(message.payload).toString('latin1')).toMatch(/^E[0-9A-Z]+\0$/);
        else if (message.type === XS_WATCH_EVENT) expect(message.reqId).toBe(0);
      }
      // Another client is unaffected.
      const value = `round-${round}`;
      await observer.write('/observer/key', value);
      expect(await observer.readString('/observer/key')).toBe(value);
    }),
    { seed, numRuns: RUNS, endOnFailure: true },
  );
  expect(frames).toBeGreaterThanOrEqual(10_000);
  // Most frames were whole and got an answer (the rest were cut off or dropped the connection).
  expect(replyCount).toBeGreaterThan(frames / 4);
  console.log(`${frames} frames sent, ${replyCount} replies and events received`);
  expect(observer.closed).toBe(false);
}, 120_000);
