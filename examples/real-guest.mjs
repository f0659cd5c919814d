// A real Linux guest driven by our xl, on two temporary host files: Debian's kernel (fetched and
// cached once) boots under QEMU on our firmware's tables and its vmgenid driver reads the ID xl
// generated; `xl vm-genid --new` writes a new ID into the guest's RAM and the kernel reseeds; `xl
// save -c` writes QEMU's device state into the save file beside the RAM; `xl restore` of that file
// as a clone starts a second QEMU from it with a new ID, and the clone's kernel reseeds; `xl migrate`
// moves the first guest to the second host file with its ID, and its kernel does not reseed; destroy
// ends every QEMU. What the guest's kernel said is printed at each step.
// Run with `node examples/real-guest.mjs` after `bash scripts/setup.sh`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRunDir, deviceModelFiles, deviceModelFilesExist, ensureKernel, ensureKernelModule, hostIdentity, readGuestConsole } from '../packages/qemu-dm/dist/index.js';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'xen-genid-real-guest-'));
const hosts = { first: join(dir, 'host.db'), second: join(dir, 'other.db') };
const xlBin = join(root, 'packages/xl-cli/dist/bin/xl.js');
/** Runs our xl on `host` (our bin/ first on PATH, for migrate's receiver); `allowed` lists the exit statuses that are not a failure. */
const xlOn = (host, allowed, ...args) => {
  const env = { ...process.env, XEN_GENID_HOST: host, PATH: `${join(root, 'bin')}:${process.env.PATH}` };
  const result = spawnSync(process.execPath, [xlBin, ...args], { encoding: 'utf8', env });
  if (!allowed.includes(result.status)) throw new Error(`xl ${args.join(' ')} exited ${result.status}: ${result.stderr.trim()}`);
  return result;
};
const xl = (...args) => xlOn(hosts.first, [0], ...args).stdout;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const filesOf = (host, domid) => deviceModelFiles(defaultRunDir(), hostIdentity(host), domid);
async function until(files, test, what) {
  for (const end = Date.now() + 180_000; Date.now() < end; await sleep(200)) {
    const view = readGuestConsole(files);
    if (test(view)) return view;
  }
  throw new Error(`the guest did not ${what} within 3 minutes`);
}
const times = (count) => `${count} time${count === 1 ? '' : 's'}`;
const views = (host, name) => JSON.parse(xlOn(host, [0], 'vm-genid', '--json', name).stdout);
const same = (id, what) => {
  if (id.config !== id.xenstore || id.guest !== id.config) throw new Error(`${what}: the views of the ID disagree: ${JSON.stringify(id)}`);
  return id.config;
};

try {
  const kernel = await ensureKernel();
  if ('missing' in kernel) throw new Error(kernel.missing);
  if (kernel.packageName) await ensureKernelModule(kernel.packageName);
  console.log(`kernel: ${kernel.bootImage}`);
  const cfg = join(root, 'examples/real-guest.cfg');
  const withKernel = `kernel="${kernel.bootImage}"`;

  // 1. create: the kernel reads the ID xl generated.
  const started = performance.now();
  process.stdout.write(xl('create', cfg, withKernel));
  const domid = Number(xl('domid', 'real-guest').trim());
  const files = filesOf(hosts.first, domid);
  const booted = await until(files, (view) => view.ready, 'boot');
  const created = same(views(hosts.first, 'real-guest'), 'create');
  console.log(`guest kernel ${booted.kernelRelease}: vmgenid ${booted.bound ? 'bound' : 'did not bind'}, read ${booted.bootRead} at probe (${((performance.now() - started) / 1000).toFixed(1)} s after xl create)`);
  console.log(`xl vm-genid: config ${created}, xenstore ${created}, guest ${created}`);
  if (booted.bootRead !== created) throw new Error('the guest read another ID than xl gave it');

  // The serial console: xl console prints what the kernel said and passes a typed line to the guest (Ctrl-] ends it).
  const attached = spawnSync(process.execPath, [xlBin, 'console', 'real-guest'], { encoding: 'utf8', input: 'hello from xl console\n\x1d', env: { ...process.env, XEN_GENID_HOST: hosts.first } });
  const printed = attached.stdout.split(/\r?\n/).find((line) => line.includes('GENID: ready'));
  await until(files, () => readFileSync(files.consoleLog, 'latin1').includes('GENID: typed hello from xl console'), 'answer on its console');
  const answered = readFileSync(files.consoleLog, 'latin1').split(/\r?\n/).find((line) => line.includes('GENID: typed'));
  console.log(`xl console: exit ${attached.status}, printed ${JSON.stringify(printed)}; typed "hello from xl console", the guest answered ${JSON.stringify(answered)}`);
  if (attached.status !== 0 || printed === undefined) throw new Error(`xl console: ${attached.stderr}`);

  // 2. vm-genid --new: a new ID in the guest's RAM; the kernel re-reads it and reseeds, once.
  process.stdout.write(xl('vm-genid', '--new', 'real-guest'));
  // Until the kernel has re-read the ID, its view still holds the old one: vm-genid exits 1 and names the difference.
  const renewed = JSON.parse(xlOn(hosts.first, [0, 1], 'vm-genid', '--json', 'real-guest').stdout).config;
  const reseeded = await until(files, (view) => view.forkReads.includes(renewed), 'reseed');
  console.log(`guest kernel: random: crng reseeded due to virtual machine fork (${times(reseeded.reseeds)}), re-read ${reseeded.current}`);
  if (same(views(hosts.first, 'real-guest'), '--new') !== renewed) throw new Error('the renewed ID is not the guest\'s');

  // 3. save -c: the guest's RAM and QEMU's device state in one file; the guest runs on.
  const saved = join(dir, 'real-guest.save');
  process.stdout.write(xlOn(hosts.first, [0], 'save', '-c', 'real-guest', saved).stderr.split('\n').filter((line) => line.startsWith('Saving to')).map((line) => `${line}\n`).join(''));
  const verifier = '/usr/lib/xen-4.17/bin/verify-stream-v2';
  if (existsSync(verifier)) {
    const check = spawnSync('python3', [verifier, '-f', 'xl', '-v', '-i', saved], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: '/usr/lib/xen-4.17/lib/python' } });
    const emulator = /Libxl Record: Emulator context, length \d+/.exec(check.stdout)?.[0] ?? 'no emulator context record';
    console.log(`${(statSync(saved).size / 2 ** 20).toFixed(1)} MiB; verify-stream-v2 -f xl: ${check.status === 0 ? 'ok' : `failed: ${check.stdout}${check.stderr}`}; ${emulator}`);
    if (check.status !== 0) process.exitCode = 1;
  }
  console.log(xl('list', 'real-guest').trim().split('\n').pop());

  // 4. restore as a clone (its own name): a new ID written before it runs, then the clone's kernel reseeds.
  const cloneCfg = join(dir, 'clone.cfg');
  writeFileSync(cloneCfg, `${readFileSync(cfg, 'utf8').replace('name = "real-guest"', 'name = "real-guest-clone"')}\nkernel = "${kernel.bootImage}"\n`);
  xl('restore', cloneCfg, saved);
  const cloneFiles = filesOf(hosts.first, Number(xl('domid', 'real-guest-clone').trim()));
  const cloneId = JSON.parse(xlOn(hosts.first, [0, 1], 'vm-genid', '--json', 'real-guest-clone').stdout).config;
  const clone = await until(cloneFiles, (view) => view.forkReads.includes(cloneId), 'reseed after its restore');
  console.log(`clone's guest kernel: random: crng reseeded due to virtual machine fork (${times(clone.reseeds)} in its log, the last after the restore), re-read ${clone.current}`);
  same(views(hosts.first, 'real-guest-clone'), 'restore');
  const original = same(views(hosts.first, 'real-guest'), 'original');
  console.log(`xl vm-genid: clone ${cloneId}, original ${original}`);
  if (cloneId === original || original !== renewed) throw new Error('the clone shares the original\'s ID, or the original\'s changed');

  // 5. migrate to the second host file: the same ID, no reseed; then a renewal there reseeds once more.
  xl('migrate', '-s', '', 'real-guest', `XEN_GENID_HOST=${hosts.second} xl migrate-receive`);
  const movedId = same(views(hosts.second, 'real-guest'), 'migrate');
  const movedFiles = filesOf(hosts.second, Number(xlOn(hosts.second, [0], 'domid', 'real-guest').stdout.trim()));
  console.log(`migrated: xl vm-genid on the second host ${movedId}, guest kernel reseeded ${times(readGuestConsole(movedFiles).reseeds)} in all`);
  if (movedId !== renewed) throw new Error('the migrated guest has another ID');
  xlOn(hosts.second, [0], 'vm-genid', '--new', 'real-guest');
  const newest = JSON.parse(xlOn(hosts.second, [0, 1], 'vm-genid', '--json', 'real-guest').stdout).config;
  const after = await until(movedFiles, (view) => view.forkReads.includes(newest), 'reseed on the second host');
  console.log(`renewed on the second host: guest kernel reseeded (${times(after.reseeds)} in all, one per renewal), re-read ${after.current}`);
  if (after.forkReads.join() !== [renewed, newest].join()) throw new Error(`the migrated kernel re-read ${after.forkReads.join(', ')}`);

  // 6. destroy: no QEMU and no file left.
  xl('destroy', 'real-guest-clone');
  xlOn(hosts.second, [0], 'destroy', 'real-guest');
  const left = [files, cloneFiles, movedFiles].flatMap((each) => deviceModelFilesExist(each));
  console.log(left.length === 0 ? 'destroyed: every QEMU ended, no device model file left' : `left behind: ${left.join(' ')}`);
  if (left.length > 0) process.exitCode = 1;
} finally {
  for (const host of Object.values(hosts)) {
    if (!existsSync(host)) continue;
    for (const name of ['real-guest', 'real-guest-clone']) xlOn(host, [0, 1], 'destroy', name);
  }
  rmSync(dir, { recursive: true, force: true });
}
