/* global console, process, URL */
// Disk space back: the host file after `xl destroy` (the built CLI, in its own process) of a guest with
// 256 MiB of written memory, against an empty host, both at rest (every connection closed) and while
// another process still has the host open (main file + write-ahead log + memory files). Goal: at rest within 10% of
// the empty host. BENCH_QUICK=1 uses a 16 MiB guest.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHost } from '@xen-genid/host';
import { XC_PAGE_SIZE } from '@xen-genid/xc-params';
import { hostBytes, runNode } from '../../../scripts/bench-process.mjs';

const MIB = 1024 * 1024;
const guestMib = process.env.BENCH_QUICK === '1' ? 16 : 256;
const xl = new URL('../dist/bin/xl.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'xen-genid-space-bench-'));
const fmt = (bytes) => `${(bytes / MIB).toFixed(2)} MiB`;

try {
  const emptyPath = join(dir, 'empty.db');
  openHost(emptyPath).close();
  const empty = hostBytes(emptyPath);

  const path = join(dir, 'guest.db');
  const xlRun = (...args) => runNode([xl, ...args], { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir, XEN_GENID_HOST: path } });
  writeFileSync(join(dir, 'vm.cfg'), `name = "guest"\ntype = "hvm"\nmemory = ${guestMib + 16}\n`);
  xlRun('create', 'vm.cfg');
  // Another process's connection, open across the destroy (as a running xenstored's would be).
  const host = openHost(path);
  const { domid } = host.hypervisor.listDomains().find((info) => info.domid !== 0);
  const page = new Uint8Array(XC_PAGE_SIZE).fill(0x5a);
  const pages = (guestMib * MIB) / XC_PAGE_SIZE;
  for (let start = 0; start < pages; start += 4096) {
    host.hypervisor.writePages(domid, Array.from({ length: 4096 }, (_, index) => [start + index, page]));
  }
  const full = hostBytes(path);
  const { wallMs } = xlRun('destroy', 'guest');
  const open = hostBytes(path);
  host.close();
  const atRest = hostBytes(path);
  const ratio = atRest / empty;
  console.log(`host file with a ${guestMib} MiB guest: ${fmt(full)} (main file + WAL + memory files)`);
  console.log(`after xl destroy (${wallMs.toFixed(0)} ms, the whole process), another connection still open: ${fmt(open)} (main file + WAL + memory files)`);
  console.log(`at rest: empty host ${fmt(empty)}, after the destroy ${fmt(atRest)}: ratio ${ratio.toFixed(3)} (goal <= 1.10: ${ratio <= 1.1 ? 'met' : 'NOT met'})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
