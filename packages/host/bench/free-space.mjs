/* global console, process */
// Disk space back: the host file after a guest with 256 MiB of written memory is destroyed, against
// an empty host, both at rest (last connection closed) and while the destroying host is still open
// (main file + write-ahead log). Goal: at rest within 10% of the empty host.
// BENCH_QUICK=1 uses a 16 MiB guest.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHost } from '@xen-genid/host';

const MIB = 1024 * 1024;
const guestMib = process.env.BENCH_QUICK === '1' ? 16 : 256;
const dir = mkdtempSync(join(tmpdir(), 'xen-genid-space-bench-'));
const size = (path) => [path, `${path}-wal`].reduce((sum, file) => sum + (existsSync(file) ? statSync(file).size : 0), 0);
const fmt = (bytes) => `${(bytes / MIB).toFixed(2)} MiB`;

try {
  const emptyPath = join(dir, 'empty.db');
  openHost(emptyPath).close();
  const empty = size(emptyPath);

  const path = join(dir, 'guest.db');
  const host = openHost(path);
  const { domid } = host.hypervisor.createDomain({ type: 'hvm' });
  const page = new Uint8Array(4096).fill(0x5a);
  const pages = (guestMib * MIB) / 4096;
  for (let start = 0; start < pages; start += 4096) {
    host.hypervisor.writePages(domid, Array.from({ length: 4096 }, (_, index) => [start + index, page]));
  }
  const full = size(path);
  const started = performance.now();
  host.hypervisor.destroyDomain(domid);
  const destroyMs = performance.now() - started;
  const open = size(path);
  host.close();
  const atRest = size(path);
  const ratio = atRest / empty;
  console.log(`host file with a ${guestMib} MiB guest: ${fmt(full)} (main file + WAL)`);
  console.log(`after xl destroy, host still open: ${fmt(open)} (main file + WAL); destroy took ${destroyMs.toFixed(0)} ms`);
  console.log(`at rest: empty host ${fmt(empty)}, after the destroy ${fmt(atRest)}: ratio ${ratio.toFixed(3)} (goal <= 1.10: ${ratio <= 1.1 ? 'met' : 'NOT met'})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
