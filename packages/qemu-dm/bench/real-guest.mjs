// A real guest through the toolstack against a bare QEMU boot of the same kernel and initramfs, to
// the same console line (the vmgenid probe read), alternating, best of three:
// - create: `xl create` (firmware into the RAM file, QEMU as the device model) until the kernel's
//   read is on the console and `xl vm-genid` shows the guest holding the config's ID;
// - bare: qemu-system-x86_64 with the firmware's pages loaded raw (`-device loader`), anonymous RAM.
// - restore: a device model started incoming from its saved device state on the RAM file, a new
//   ID written, until the kernel's reseed is on the console; against a bare incoming migration of the
//   same state (same files, no ID written) until `cont` is answered and the guest is running.
// BENCH_QUICK=1 skips the boots.
/* global console, process, performance, URL, setTimeout, Buffer */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeviceModel,
  RamFile,
  defaultRunDir,
  deviceModelFiles,
  ensureKernel,
  ensureKernelModule,
  hostIdentity,
  launchDeviceModel,
  planFirmwareBoot,
  readGuestConsole,
  realGuestCommandLine,
  realGuestInitrd,
  reapDeviceModel,
  startRealGuest,
} from '@xen-genid/qemu-dm';

if (process.env.BENCH_QUICK === '1') {
  console.log('real guest: not run under BENCH_QUICK=1 (one boot takes seconds)');
  process.exit(0);
}
const root = new URL('../../../', import.meta.url).pathname;
const xlBin = join(root, 'packages/xl-cli/dist/bin/xl.js');
const kernel = await ensureKernel();
if ('missing' in kernel) throw new Error(kernel.missing);
const modules = kernel.packageName ? [await ensureKernelModule(kernel.packageName)] : [];
const dir = mkdtempSync(join(tmpdir(), 'xen-genid-bench-real-'));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const waitFor = async (test) => {
  for (const end = Date.now() + 300_000; Date.now() < end; await sleep(50)) if (test()) return;
  throw new Error('timed out');
};

async function bare() {
  const { plan } = planFirmwareBoot({ generationId: { low: 1n, high: 2n }, machine: 'pc' });
  const initrd = join(dir, 'bare.initrd');
  writeFileSync(initrd, realGuestInitrd(plan, { modules }));
  const loads = plan.memory.flatMap((image, index) => {
    const file = join(dir, `bare-${index}.bin`);
    writeFileSync(file, image.bytes);
    return ['-device', `loader,file=${file},addr=0x${image.address.toString(16)},force-raw=on`];
  });
  const started = performance.now();
  const child = spawn('qemu-system-x86_64', ['-machine', 'pc', '-accel', 'tcg', '-cpu', 'max', '-m', '256M', '-smp', '1', '-nodefaults', '-no-user-config', '-display', 'none', '-serial', 'stdio', '-kernel', kernel.bootImage, '-initrd', initrd, '-append', realGuestCommandLine(plan), ...loads], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  await waitFor(() => /GENID: read .*caller=vmgenid/.test(out));
  const ms = performance.now() - started;
  child.kill('SIGKILL');
  return ms;
}

async function create(round) {
  const host = join(dir, `host-${round}.db`);
  const env = { ...process.env, XEN_GENID_HOST: host };
  const xl = (...args) => spawnSync(process.execPath, [xlBin, ...args], { encoding: 'utf8', env });
  const started = performance.now();
  const created = xl('create', join(root, 'examples/real-guest.cfg'), `kernel="${kernel.bootImage}"`);
  if (created.status !== 0) throw new Error(created.stderr);
  const files = deviceModelFiles(defaultRunDir(), hostIdentity(host), 1);
  await waitFor(() => readGuestConsole(files).bootRead !== undefined);
  const view = JSON.parse(xl('vm-genid', '--json', 'real-guest').stdout);
  const ms = performance.now() - started;
  if (view.guest !== view.config) throw new Error('the guest read another ID');
  xl('destroy', 'real-guest');
  return ms;
}

/** A saved guest to restore from: booted once, its device state saved, QEMU ended. */
async function savedGuest() {
  const { plan } = planFirmwareBoot({ generationId: { low: 3n, high: 4n }, machine: 'pc' });
  const files = deviceModelFiles(dir, 'saved', 1);
  const dm = startRealGuest(plan, { kernel: kernel.bootImage, modules, machine: 'pc', memoryMiB: 256, files });
  await waitFor(() => readGuestConsole(files).ready);
  const state = join(dir, 'state.bin');
  dm.saveDeviceState(state);
  dm.quit();
  return { plan, files, state };
}

async function restore(saved, round, renew) {
  const files = deviceModelFiles(dir, `restore-${renew ? 'new' : 'bare'}-${round}`, 1);
  copyFileSync(saved.files.ram, files.ram);
  copyFileSync(saved.files.initrd, files.initrd);
  const started = performance.now();
  const dm = new DeviceModel(files, launchDeviceModel({ machine: 'pc', memoryMiB: 256, files, kernel: kernel.bootImage, initrd: files.initrd, incoming: true }));
  dm.loadDeviceState(saved.state);
  if (renew) {
    const id = Buffer.alloc(16, round + 0x40);
    const ram = RamFile.open(files.ram);
    ram.write(saved.plan.idAddress, id);
    ram.close();
    dm.unpause();
    await waitFor(() => readGuestConsole(files).reseeds > 0);
  } else {
    dm.unpause();
  }
  const ms = performance.now() - started;
  reapDeviceModel(files);
  return ms;
}

try {
  const best = { bare: Infinity, create: Infinity, incoming: Infinity, restore: Infinity };
  const saved = await savedGuest();
  for (let round = 0; round < 3; round += 1) {
    best.bare = Math.min(best.bare, await bare());
    best.create = Math.min(best.create, await create(round));
    best.incoming = Math.min(best.incoming, await restore(saved, round, false));
    best.restore = Math.min(best.restore, await restore(saved, round, true));
  }
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`bare QEMU boot to the vmgenid read: ${s(best.bare)}`);
  console.log(`xl create to the first verified read: ${s(best.create)}, ratio ${(best.create / best.bare).toFixed(2)} (goal <= 1.2)`);
  console.log(`bare incoming migration to running: ${s(best.incoming)}`);
  console.log(`device model restore with a new ID to the reseed seen: ${s(best.restore)}, ratio ${(best.restore / best.incoming).toFixed(2)}`);
  reapDeviceModel(saved.files);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
