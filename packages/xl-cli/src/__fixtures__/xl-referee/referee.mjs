/**
 * The referee for xl's command line: Debian's real xl 4.17 (`/usr/lib/xen-4.17/bin/xl`, package
 * xen-utils-4.17) run with a preloaded stub standing in for the hypervisor, and the cases it is run
 * on. Used by record.mjs (which writes fixtures.json) and by the live referee test.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import process from 'node:process';
import { URL } from 'node:url';

export const REAL_XL = '/usr/lib/xen-4.17/bin/xl';
const STUB_SOURCE = new URL('../../commands/__fixtures__/xl-hypervisor-stub.c', import.meta.url).pathname;

/** Compiles the stub into `dir`; returns the shared object's path. */
export function buildStub(dir) {
  const stub = join(dir, 'xl-hypervisor-stub.so');
  execFileSync('gcc', ['-shared', '-fPIC', '-o', stub, STUB_SOURCE], { stdio: 'inherit' });
  return stub;
}

/** Runs the real xl with `args` in `dir` over the stub. */
export function runReal(args, { dir, stub }) {
  const result = spawnSync(REAL_XL, args, {
    cwd: dir,
    encoding: 'latin1',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LD_PRELOAD: stub },
    timeout: 20_000,
  });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status, signal: result.signal ?? undefined };
}

/** Every proper prefix of every name, once. */
function prefixes(names) {
  const all = new Set();
  for (const name of names) for (let length = 1; length < name.length; length += 1) all.add(name.slice(0, length));
  return [...all].sort();
}

/** Prefixes that more than one name starts with and that are no name themselves (xl refuses them). */
function ambiguous(names) {
  return prefixes(names).filter((prefix) => !names.includes(prefix) && names.filter((name) => name.startsWith(prefix)).length > 1);
}

/** The commands this package implements (their argument errors are recorded too). */
const IMPLEMENTED = ['create', 'list', 'destroy', 'shutdown', 'reboot', 'pause', 'unpause', 'save', 'migrate', 'restore', 'migrate-receive', 'domid', 'domname'];
const REQUIRED = { destroy: 1, pause: 1, unpause: 1, save: 2, migrate: 2, restore: 1, domid: 1, domname: 1 };

/**
 * The cases, as argument vectors. None of them reaches a domain: the table, lookup by prefix,
 * help, usage, option and argument errors, and the global options.
 */
export function referenceCases() {
  const names = [
    'create', 'config-update', 'list', 'destroy', 'shutdown', 'reboot', 'pci-attach', 'pci-detach', 'pci-list',
    'pci-assignable-add', 'pci-assignable-remove', 'pci-assignable-list', 'pause', 'unpause', 'console', 'vncviewer',
    'save', 'migrate', 'restore', 'migrate-receive', 'dump-core', 'cd-insert', 'cd-eject', 'mem-max', 'mem-set',
    'button-press', 'vcpu-list', 'vcpu-pin', 'vcpu-set', 'vm-list', 'info', 'sharing', 'sched-credit', 'sched-credit2',
    'sched-rtds', 'domid', 'domname', 'rename', 'trigger', 'sysrq', 'debug-keys', 'set-parameters', 'dmesg', 'top',
    'network-attach', 'network-list', 'network-detach', 'channel-list', 'block-attach', 'block-list', 'block-detach',
    'vtpm-attach', 'vtpm-list', 'vtpm-detach', 'vkb-attach', 'vkb-list', 'vkb-detach', 'vdispl-attach', 'vdispl-list',
    'vdispl-detach', 'vsnd-attach', 'vsnd-list', 'vsnd-detach', 'uptime', 'claims', 'cpupool-create', 'cpupool-list',
    'cpupool-destroy', 'cpupool-rename', 'cpupool-cpu-add', 'cpupool-cpu-remove', 'cpupool-migrate', 'cpupool-numa-split',
    'getenforce', 'setenforce', 'loadpolicy', 'remus', 'devd', 'psr-hwinfo', 'psr-cmt-attach', 'psr-cmt-detach',
    'psr-cmt-show', 'psr-cat-set', 'psr-cat-show', 'psr-mba-set', 'psr-mba-show', 'usbctrl-attach', 'usbctrl-detach',
    'usbdev-attach', 'usbdev-detach', 'usb-list', 'qemu-monitor-command',
  ];
  const cases = [[], ['help'], ['help', 'help'], ['help', 'nosuch'], ['nosuch'], ['-x', 'list'], ['-h'], ['-vN', 'help', 'create']];
  for (const name of names) cases.push(['help', name]);
  for (const prefix of prefixes(names)) cases.push(['help', prefix]);
  for (const prefix of ambiguous(names)) cases.push([prefix], [prefix, '-a']);
  for (const name of IMPLEMENTED) {
    cases.push([name, '-h'], [name, '--help'], [name, '-Q'], ['-t', name, '-h']);
    const required = REQUIRED[name];
    if (required) {
      for (let given = 0; given < required; given += 1) cases.push([name, ...Array.from({ length: given }, (_, index) => `arg${index}`)]);
      cases.push(['-N', name, ...Array.from({ length: required }, (_, index) => `arg${index}`)]);
    }
  }
  return cases;
}
