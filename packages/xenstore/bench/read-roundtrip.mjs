/* global Buffer, console, performance, process */
// READ round trips per second through createXenstored, against the transport floor: a bare echo
// server on the same kind of Unix socket, measured side by side in the same run. One request in
// flight at a time, as libxenstore does. BENCH_QUICK=1 runs for about a second.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XS_READ, createMemoryStore, createXenstored, encodeMessage, joinStrings } from '@xen-genid/xenstore';

const quick = process.env.BENCH_QUICK === '1';
const rounds = quick ? 2 : 5;
const phaseMs = quick ? 200 : 1500;
const KEY = '/local/domain/1/platform/generation-id';
const VALUE = '11400714819323198485:123';

const dir = mkdtempSync(join(tmpdir(), 'xs-bench-'));

/** One connection doing request/reply round trips for `ms`; returns round trips per second. */
async function measure(path, frame, ms) {
  const socket = await new Promise((resolve, reject) => {
    const s = connect(path, () => resolve(s));
    s.once('error', reject);
  });
  socket.setNoDelay?.(true);
  let buffered = 0;
  let expected = -1;
  let header = Buffer.alloc(0);
  let count = 0;
  const deadline = performance.now() + ms;
  const started = performance.now();
  await new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      // Count bytes until the whole reply (16-byte header + its length) is in.
      if (expected < 0) {
        header = header.length ? Buffer.concat([header, chunk]) : chunk;
        if (header.length < 16) return;
        expected = 16 + header.readUInt32LE(12);
        buffered = header.length;
        header = Buffer.alloc(0);
      } else buffered += chunk.length;
      if (buffered < expected) return;
      expected = -1;
      count += 1;
      if (performance.now() >= deadline) resolve();
      else socket.write(frame);
    });
    socket.write(frame);
  });
  const elapsed = performance.now() - started;
  socket.destroy();
  return (count * 1000) / elapsed;
}

const echoPath = join(dir, 'echo');
const echo = createServer((socket) => socket.on('data', (chunk) => socket.write(chunk)));
await new Promise((resolve) => echo.listen(echoPath, resolve));

const store = createMemoryStore();
store.connect(0).write(KEY, VALUE);
const xenstoredPath = join(dir, 'xenstored');
const server = await createXenstored(store, xenstoredPath);

const request = encodeMessage({ type: XS_READ, reqId: 0, txId: 0, payload: joinStrings([KEY]) });
// The echo server answers with a frame as long as a READ reply would be, so both move the same bytes.
const echoFrame = encodeMessage({ type: XS_READ, reqId: 0, txId: 0, payload: Buffer.alloc(Math.max(KEY.length + 1, VALUE.length)) });

await measure(echoPath, echoFrame, 100);
await measure(xenstoredPath, request, 100);
let echoTotal = 0;
let oursTotal = 0;
for (let round = 0; round < rounds; round += 1) {
  echoTotal += await measure(echoPath, echoFrame, phaseMs);
  oursTotal += await measure(xenstoredPath, request, phaseMs);
}
const echoRate = echoTotal / rounds;
const oursRate = oursTotal / rounds;
console.log(`echo server (transport floor): ${Math.round(echoRate)} round trips/s`);
console.log(`createXenstored READ:          ${Math.round(oursRate)} round trips/s`);
console.log(`ratio: ${(oursRate / echoRate * 100).toFixed(1)}% of the floor (goal >= 50%)`);

await server.close();
store.close();
await new Promise((resolve) => echo.close(resolve));
rmSync(dir, { recursive: true, force: true });
