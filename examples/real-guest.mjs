// A real Linux guest driven by our xl, on a temporary host file: Debian's kernel (fetched and cached
// once) boots under QEMU on our firmware's tables, its vmgenid driver reads the ID xl generated;
// `xl vm-genid --new` writes a new ID into the guest's RAM and the kernel reseeds; pause, unpause and
// destroy reach QEMU. What the guest's kernel said is printed at each step.
// Run with `node examples/real-guest.mjs` after `bash scripts/setup.sh`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceModelFiles, deviceModelFilesExist, ensureKernel, ensureKernelModule, hostIdentity, readGuestConsole } from '../packages/qemu-dm/dist/index.js';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'xen-genid-real-guest-'));
const host = join(dir, 'host.db');
/** Runs our xl on the temporary host; `allowed` lists the exit statuses that are not a failure. */
const xlAllowing = (allowed, ...args) => {
  const result = spawnSync(process.execPath, [join(root, 'packages/xl-cli/dist/bin/xl.js'), ...args], { encoding: 'utf8', env: { ...process.env, XEN_GENID_HOST: host } });
  if (!allowed.includes(result.status)) throw new Error(`xl ${args.join(' ')} exited ${result.status}: ${result.stderr.trim()}`);
  return result.stdout;
};
const xl = (...args) => xlAllowing([0], ...args);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(files, test, what) {
  for (const end = Date.now() + 180_000; Date.now() < end; await sleep(200)) {
    const view = readGuestConsole(files);
    if (test(view)) return view;
  }
  throw new Error(`the guest did not ${what} within 3 minutes`);
}

try {
  const kernel = await ensureKernel();
  if ('missing' in kernel) throw new Error(kernel.missing);
  if (kernel.packageName) await ensureKernelModule(kernel.packageName);
  console.log(`kernel: ${kernel.bootImage}`);

  const started = performance.now();
  process.stdout.write(xl('create', join(root, 'examples/real-guest.cfg'), `kernel="${kernel.bootImage}"`));
  const domid = Number(xl('domid', 'real-guest').trim());
  const files = deviceModelFiles(join(tmpdir(), 'xen-genid-dm'), hostIdentity(host), domid);
  const booted = await until(files, (view) => view.ready, 'boot');
  const id = JSON.parse(xl('vm-genid', '--json', 'real-guest'));
  console.log(`guest kernel ${booted.kernelRelease}: vmgenid ${booted.bound ? 'bound' : 'did not bind'}, read ${booted.bootRead} at probe (${((performance.now() - started) / 1000).toFixed(1)} s after xl create)`);
  console.log(`xl vm-genid: config ${id.config}, xenstore ${id.xenstore}, guest ${id.guest}`);
  if (booted.bootRead !== id.config || id.guest !== id.config) throw new Error('the guest read another ID than xl gave it');

  process.stdout.write(xl('vm-genid', '--new', 'real-guest'));
  // Until the kernel has re-read the ID, its view still holds the old one: vm-genid exits 1 and names the difference.
  const renewed = JSON.parse(xlAllowing([0, 1], 'vm-genid', '--json', 'real-guest')).config;
  const reseeded = await until(files, (view) => view.forkReads.includes(renewed), 'reseed');
  console.log(`guest kernel: random: crng reseeded due to virtual machine fork (${reseeded.reseeds} time${reseeded.reseeds === 1 ? '' : 's'}), re-read ${reseeded.current}`);
  const after = JSON.parse(xl('vm-genid', '--json', 'real-guest'));
  if (after.guest !== renewed || after.xenstore !== renewed) throw new Error('the views of the renewed ID disagree');

  xl('pause', 'real-guest');
  console.log(xl('list', 'real-guest').trim().split('\n').pop());
  xl('unpause', 'real-guest');
  console.log(xl('list', 'real-guest').trim().split('\n').pop());

  xl('destroy', 'real-guest');
  const left = deviceModelFilesExist(files);
  console.log(left.length === 0 ? 'destroyed: QEMU ended, no device model file left' : `left behind: ${left.join(' ')}`);
  if (left.length > 0) process.exitCode = 1;
} finally {
  if (existsSync(host)) spawnSync(process.execPath, [join(root, 'packages/xl-cli/dist/bin/xl.js'), 'destroy', 'real-guest'], { env: { ...process.env, XEN_GENID_HOST: host }, stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
