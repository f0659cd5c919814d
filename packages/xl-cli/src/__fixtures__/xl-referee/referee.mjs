/**
 * The referee for xl's command line: Debian's real xl 4.17 (`/usr/lib/xen-4.17/bin/xl`, package
 * xen-utils-4.17) run with a preloaded stub standing in for the hypervisor, and the cases it is run
 * on. Used by record.mjs (which writes fixtures.json) and by the live referee test.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
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

/**
 * Fake domain tables the stub serves (XL_STUB_DOMAINS), by name. Each domain: its domid, name
 * (null: none in xenstore), uuid, HVM or not, state (`blocked`, `running`, `paused`, `dying`, or
 * `shutdown:<reason>`), pages allocated and outstanding, vCPUs and CPU time in nanoseconds.
 */
export const SCENARIOS = {
  mixed: [
    { domid: 0, name: 'Domain-0', uuid: '00000000-0000-0000-0000-000000000000', hvm: false, state: 'running', pages: 1048576, outstanding: 0, vcpus: 2, cpuTimeNs: 1234567890123 },
    { domid: 1, name: 'vgid-test', uuid: '0a133075-2106-45f5-b159-9702e4e6af7d', hvm: true, state: 'blocked', pages: 262144, outstanding: 0, vcpus: 2, cpuTimeNs: 5300000000 },
    { domid: 2, name: 'paused-one', uuid: '11111111-2222-3333-4444-555555555555', hvm: true, state: 'paused', pages: 32768, outstanding: 1024, vcpus: 1, cpuTimeNs: 250000000 },
    { domid: 3, name: 'off', uuid: '22222222-0000-4000-8000-000000000003', hvm: true, state: 'shutdown:poweroff', pages: 32768, outstanding: 0, vcpus: 1, cpuTimeNs: 750000000 },
    { domid: 4, name: 'rebooting', uuid: '22222222-0000-4000-8000-000000000004', hvm: true, state: 'shutdown:reboot', pages: 32768, outstanding: 0, vcpus: 1, cpuTimeNs: 49999999 },
    { domid: 5, name: 'suspended', uuid: '22222222-0000-4000-8000-000000000005', hvm: true, state: 'shutdown:suspend', pages: 65536, outstanding: 0, vcpus: 4, cpuTimeNs: 60000000000 },
    { domid: 6, name: 'crashed', uuid: '22222222-0000-4000-8000-000000000006', hvm: true, state: 'shutdown:crash', pages: 32768, outstanding: 0, vcpus: 1, cpuTimeNs: 0 },
    { domid: 8, name: 'watched', uuid: '22222222-0000-4000-8000-000000000008', hvm: false, state: 'shutdown:watchdog', pages: 32768, outstanding: 0, vcpus: 1, cpuTimeNs: 1 },
    { domid: 9, name: 'soft-reset', uuid: '22222222-0000-4000-8000-000000000009', hvm: true, state: 'shutdown:soft_reset', pages: 32768, outstanding: 0, vcpus: 1, cpuTimeNs: 999999999999 },
    { domid: 11, name: 'dying', uuid: '33333333-0000-4000-8000-000000000011', hvm: true, state: 'dying', pages: 256, outstanding: 0, vcpus: 1, cpuTimeNs: 3000000000 },
    { domid: 12, name: 'a-domain-name-that-is-longer-than-forty-characters', uuid: '33333333-0000-4000-8000-000000000012', hvm: true, state: 'blocked', pages: 131072, outstanding: 0, vcpus: 8, cpuTimeNs: 42000000 },
    { domid: 14, name: null, uuid: '33333333-0000-4000-8000-000000000014', hvm: false, state: 'blocked', pages: 8192, outstanding: 0, vcpus: 1, cpuTimeNs: 1500000 },
    { domid: 300, name: 'high', uuid: '33333333-0000-4000-8000-000000000300', hvm: true, state: 'paused', pages: 2048, outstanding: 4096, vcpus: 1, cpuTimeNs: 12345678901 },
  ],
};

/** `SHUTDOWN_*` codes (xen/include/public/sched.h). */
export const SHUTDOWN_CODES = { poweroff: 0, reboot: 1, suspend: 2, crash: 3, watchdog: 4, soft_reset: 5 };

/** One domain as a line of the stub's table (XEN_DOMINF_* flags, the reason in bits 16..23). */
function tableLine(domain) {
  const [state, reason] = domain.state.split(':');
  let flags = domain.hvm ? 1 << 1 : 0;
  if (state === 'dying') flags |= 1 << 0;
  if (state === 'shutdown') flags |= (1 << 2) | (SHUTDOWN_CODES[reason] << 16);
  if (state === 'paused') flags |= 1 << 3;
  if (state === 'blocked') flags |= 1 << 4;
  if (state === 'running') flags |= 1 << 5;
  return [domain.domid, flags, domain.pages, domain.pages, domain.outstanding, domain.cpuTimeNs, domain.vcpus, 0, domain.uuid, domain.name ?? '-'].join(' ');
}

/**
 * Runs the real xl with `args` in `dir` over the stub, with the domain table `domains` (a SCENARIOS
 * name) and `files` (name: text) written into `dir` first.
 */
export function runReal(args, { dir, stub, domains, files }) {
  for (const [name, text] of Object.entries(files ?? {})) writeFileSync(join(dir, name), text);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LD_PRELOAD: stub };
  if (domains !== undefined) {
    env.XL_STUB_DOMAINS = join(dir, `${domains}.domains`);
    writeFileSync(env.XL_STUB_DOMAINS, `${SCENARIOS[domains].map(tableLine).join('\n')}\n`);
  }
  const result = spawnSync(REAL_XL, args, { cwd: dir, encoding: 'latin1', env, timeout: 20_000 });
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
const IMPLEMENTED = [
  'create', 'list', 'destroy', 'shutdown', 'reboot', 'pause', 'unpause', 'save', 'migrate', 'restore', 'migrate-receive', 'vm-list', 'domid',
  'domname', 'rename', 'uptime', 'console', 'trigger', 'button-press', 'info', 'dmesg', 'config-update',
];
const REQUIRED = { destroy: 1, pause: 1, unpause: 1, save: 2, migrate: 2, restore: 1, domid: 1, domname: 1, rename: 2, console: 1, trigger: 2, 'button-press': 2 };

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
  return [...cases.map((args) => ({ args })), ...fileCases(), ...domainCases()];
}

/** Cases that read files (written into the case's directory first): restore's and create's failures, option acceptance. */
function fileCases() {
  const files = { 'short.sav': 'short', 'junk.sav': 'not a save file at all, just some text that is long enough to hold a header\n' };
  const cases = [
    ['restore', 'nosuch.sav'], ['restore', 'short.sav'], ['restore', 'junk.sav'], ['restore', '.'], ['restore', 'a', 'b', 'c'],
    ['restore', '-c', 'nosuch.sav'], ['restore', '-V', '-A', '-e', '-F', 'nosuch.sav'], ['restore', '-p', '-d', 'cfg.cfg', 'nosuch.sav'],
    ['restore', '--vncviewer', '--vncviewer-autopass', 'short.sav'],
    ['migrate-receive', 'x'], ['migrate-receive', '--colo', 'x'], ['migrate-receive', '--coloft-script', 's', '--userspace-colo-proxy', 'x'],
    ['-T', 'list'], ['-Tt', 'domid', 'Domain-0'],
    ['create', '-c', '-V', 'nosuch.cfg'], ['create', '-F', '-e', '-A', 'nosuch.cfg'], ['create', '--vncviewer-autopass', '-i', 'nosuch.cfg'],
    ['create', '--ignore-global-affinity-masks', '--quiet', 'nosuch.cfg'],
  ];
  return cases.map((args) => ({ args, files }));
}

/** Cases on the fake domain tables: the read-only commands on every kind of domain, and the others up to where they would change one. */
function domainCases() {
  const cases = [];
  const domains = SCENARIOS.mixed;
  const listOptions = [[], ['-v'], ['-Z'], ['-c'], ['-n'], ['-vZ'], ['-Zc'], ['-vcn'], ['--verbose'], ['--context', '--cpupool', '--numa']];
  for (const options of listOptions) {
    cases.push(['list', ...options]);
    for (const domain of domains) {
      cases.push(['list', ...options, String(domain.domid)]);
      if (domain.name !== null) cases.push(['list', ...options, domain.name]);
    }
  }
  for (const qualifier of ['7', '13', '65536', '65537', '4294967296', '4294967297', '99999999999999999999999999', 'nosuch', 'Domain', '0x1', '-1', '']) {
    cases.push(['list', qualifier], ['list', '-v', qualifier]);
  }
  cases.push(['list', 'a', 'b'], ['list', '-v', '1', '2'], ['list', '-Q'], ['list', '--long=x']);
  for (const domain of domains) {
    if (domain.name !== null) cases.push(['domid', domain.name]);
    cases.push(['domname', String(domain.domid)]);
  }
  for (const text of ['nosuch', 'vgid', 'Domain-0 ', '']) cases.push(['domid', text]);
  for (const text of ['0abc', 'abc', '', ' 1', '+1', '1x', '-0', '7', '13', '4294967296', '4294967297', '4294967298', '99999999999999999999', '-99999999999999999999', '65536', '0x10', '00012']) {
    cases.push(['domname', text]);
  }
  cases.push(['domname', '--', '-1'], ['domid', 'a', 'b'], ['domname', '1', '2']);
  cases.push(['vm-list'], ['vm-list', 'x'], ['destroy', '0'], ['destroy', 'Domain-0'], ['shutdown'], ['reboot'], ['shutdown', '-w'], ['reboot', '-F']);
  for (const target of ['13', '99999999999999999999']) cases.push(['unpause', target]);
  // console, trigger and button-press up to where real xl would exec xenconsole or send the trigger.
  cases.push(['console', '13'], ['console', '99999'], ['console', 'nosuch'], ['console', '-t', 'hvc', '1'], ['console', '-t', 'hvc', 'nosuch'], ['console', '-n', '1']);
  cases.push(['trigger', 'nosuch', 'nmi'], ['trigger', '1', 'bang'], ['trigger', 'nosuch', 'bang'], ['trigger', '1', 'NMIX', '0']);
  cases.push(['button-press', 'nosuch', 'power'], ['button-press', '1', 'reset'], ['button-press', 'vgid-test', 'Power']);
  // uptime of guests whose start time xenstore does not hold; the changing commands on a name no domain has.
  cases.push(['uptime', '1'], ['uptime', 'vgid-test'], ['uptime', '-s', '1'], ['uptime', '-s', '2', '300'], ['uptime', 'nosuch'], ['uptime', '1', 'nosuch']);
  cases.push(['rename', 'nosuch', 'x'], ['pause', 'nosuch'], ['shutdown', 'nosuch'], ['destroy', 'nosuch'], ['config-update', 'nosuch'], ['config-update', '1', 'nosuch.cfg']);
  // config-update reads its domain and a config file before its options.
  cases.push(['config-update', '1', '-h'], ['config-update', '1', 'x.cfg', '-h'], ['config-update', '1', '-Q'], ['config-update', 'nosuch', '-Q'], ['config-update', '1', '-f', 'nosuch.cfg']);
  cases.push(['config-update', '1', '-d'], ['config-update', '1', '-d', 'a=1'], ['config-update', '1', '--defconfig=x.cfg', 'y.cfg'], ['config-update', '1', 'x.cfg', 'y.cfg']);
  return cases.map((args) => ({ args, domains: 'mixed' }));
}
