/**
 * `xl trigger`, `xl button-press`, and `xl shutdown` / `xl reboot` on a guest without PV drivers
 * (`xen_platform_pci = 0`), in process; the texts are those real Xen 4.17 printed for the same
 * commands on an HVM guest without PV drivers (packages/integration/src/real-xen/__fixtures__/).
 */
import { describe, expect, it } from 'vitest';
import { memoryXl } from './__fixtures__/memory-xl.ts';

const cfg = (name: string, extra = ''): string => `name = "${name}"\ntype = "hvm"\nmemory = 64\nvcpus = 2\nms_vm_genid = "generate"\n${extra}`;
const NO_PV = 'xen_platform_pci = 0\n';

const consoleOf = (world: ReturnType<typeof memoryXl>, domid: number): string =>
  Buffer.from(world.parts.hypervisor.readConsole(domid, 0).data).toString();

describe('shutdown and reboot of a guest without PV drivers', () => {
  it('fail without -F as real xl (hvm-shutdown-nopv, hvm-reboot-nopv), changing nothing', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('a.cfg', cfg('hvm1', NO_PV))]);
    expect(await world.xl(['shutdown', 'hvm1'])).toEqual({
      status: 1,
      stdout: '',
      stderr:
        'Shutting down domain 1\nPV control interface not available: external graceful shutdown not possible.\n' +
        'Use "-F" to fallback to ACPI power event.\nshutdown failed (rc=-10)\n',
    });
    expect(await world.xl(['reboot', 'hvm1'])).toEqual({
      status: 1,
      stdout: '',
      stderr:
        'Rebooting domain 1\nPV control interface not available: external graceful reboot not possible.\n' +
        'Use "-F" to fallback to ACPI reset event.\nreboot failed (rc=-10)\n',
    });
    expect(world.parts.hypervisor.getDomain(1)).toMatchObject({ shutdown: null, paused: false });
  });

  it('shutdown -F presses the power button: the guest powers off and on_poweroff applies', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('a.cfg', cfg('hvm1', NO_PV))]);
    expect(await world.xl(['shutdown', '-F', '-w', 'hvm1'])).toEqual({
      status: 0,
      stdout: '',
      stderr:
        'Shutting down domain 1\nPV control interface not available: sending ACPI power button event.\n' +
        'Waiting for 1 domains\nDomain 1 has been shut down, reason code 0\n',
    });
    expect(world.parts.hypervisor.getDomain(1)).toBeUndefined();
  });

  it('reboot -F fails as on x86 Xen 4.17, whose domctl does not implement the reset trigger', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('a.cfg', cfg('hvm1', NO_PV))]);
    expect(await world.xl(['reboot', '-F', 'hvm1'])).toEqual({
      status: 1,
      stdout: '',
      stderr:
        'Rebooting domain 1\nPV control interface not available: sending ACPI reset button event.\n' +
        "libxl: error: libxl_domain.c:2207:libxl_send_trigger: Domain 1:Send trigger 'reset' failed: Function not implemented\n" +
        'reboot failed (rc=-3)\n',
    });
  });

  it('a guest with PV drivers (the default) shuts down without -F, and with it', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('a.cfg', cfg('a'))]);
    await world.ok(['create', world.file('b.cfg', cfg('b'))]);
    expect(await world.xl(['shutdown', '-F', 'a'])).toEqual({ status: 0, stdout: '', stderr: 'Shutting down domain 1\n' });
    expect(await world.xl(['shutdown', 'b'])).toEqual({ status: 0, stdout: '', stderr: 'Shutting down domain 2\n' });
    expect(world.parts.hypervisor.listDomains().map((info) => info.domid)).toEqual([0]);
  });

  it('a missing domid fails where libxl asks its type, and xl exits 1', async () => {
    const world = memoryXl();
    expect(await world.xl(['shutdown', '7'])).toEqual({
      status: 1,
      stdout: '',
      stderr: 'Shutting down domain 7\nlibxl: error: libxl_dom.c:37:libxl__domain_type: unable to get domain type for domid=7\nshutdown failed (rc=-3)\n',
    });
  });

  it('a guest created paused has not loaded its PV drivers yet', async () => {
    const world = memoryXl();
    await world.ok(['create', '-p', world.file('a.cfg', cfg('a'))]);
    expect((await world.xl(['shutdown', 'a'])).stderr).toContain('PV control interface not available');
  });
});

describe('xl trigger', () => {
  it('sends an NMI (hvm-trigger-nmi: nothing printed, exit 0); the guest logs it on its console', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('a.cfg', cfg('hvm1', NO_PV))]);
    expect(await world.xl(['trigger', 'hvm1', 'nmi'])).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(await world.xl(['trigger', 'hvm1', 'NMI', '1'])).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(consoleOf(world, 1)).toContain(
      'Uhhuh. NMI received for unknown reason 00 on CPU 0.\r\nDazed and confused, but trying to continue\r\n' +
        'Uhhuh. NMI received for unknown reason 00 on CPU 1.\r\n',
    );
  });

  it('logs libxl\'s failure and still exits 0, as xl ignores it', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('a.cfg', cfg('hvm1'))]);
    const failed = (trigger: string, domid: number, reason: string) =>
      `libxl: error: libxl_domain.c:2207:libxl_send_trigger: Domain ${domid}:Send trigger '${trigger}' failed: ${reason}\n`;
    expect(await world.xl(['trigger', 'hvm1', 'nmi', '2'])).toEqual({ status: 0, stdout: '', stderr: failed('nmi', 1, 'No such process') });
    expect(await world.xl(['trigger', 'hvm1', 'init'])).toEqual({ status: 0, stdout: '', stderr: failed('init', 1, 'Function not implemented') });
    expect(await world.xl(['trigger', '7', 'power'])).toEqual({ status: 0, stdout: '', stderr: failed('power', 7, 'No such process') });
    expect(await world.xl(['trigger', 'hvm1', 'unknown'])).toEqual({ status: 0, stdout: '', stderr: failed('unknown', 1, 'Invalid argument') });
    expect(await world.xl(['trigger', 'hvm1', 's3resume'])).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(await world.xl(['trigger', '7', 's3resume'])).toEqual({
      status: 0,
      stdout: '',
      stderr:
        'libxl: error: libxl_dom.c:37:libxl__domain_type: unable to get domain type for domid=7\n' +
        "libxl: error: libxl_domain.c:2162:domain_s3_resume_done: Domain 7:Send trigger 's3resume' failed, rc=-6\n",
    });
    expect(await world.xl(['trigger', 'hvm1', 'nmi', 'x'])).toEqual({ status: 0, stdout: '', stderr: 'Invalid vcpuid, using default vcpuid=0.\n\n' });
    expect(await world.xl(['trigger', 'hvm1', 'bang'])).toEqual({ status: 1, stdout: '', stderr: 'Invalid trigger "bang"\n' });
    expect(await world.xl(['trigger', 'nosuch', 'bang'])).toEqual({ status: 1, stdout: '', stderr: 'nosuch is an invalid domain identifier (rc=-6)\n' });
    expect((await world.xl(['trigger', 'hvm1'])).status).toBe(2);
  });

  it('power: the guest powers off and its on_poweroff action applies (preserve keeps it, shut down)', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('a.cfg', cfg('hvm1', `${NO_PV}on_poweroff = "preserve"\n`))]);
    expect(await world.xl(['trigger', 'hvm1', 'power'])).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(world.parts.hypervisor.getDomain(1)?.shutdown).toBe('poweroff');
    expect(consoleOf(world, 1)).toMatch(/ACPI: power button pressed: powering off\r\n$/);
  });
});

describe('xl button-press', () => {
  it('warns first (hvm-button-press), then presses the button', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('a.cfg', cfg('hvm1', NO_PV))]);
    const warning = 'WARNING: "button-press" is deprecated. Please use "trigger"\n';
    expect(await world.xl(['button-press', 'hvm1', 'sleep'])).toEqual({ status: 0, stdout: '', stderr: warning });
    expect(await world.xl(['button-press', 'hvm1', 'reset'])).toEqual({ status: 1, stdout: '', stderr: `${warning}reset is an invalid button identifier\n` });
    expect(await world.xl(['button-press', 'hvm1'])).toMatchObject({ status: 2, stderr: `${warning}'xl button-press' requires at least 2 arguments.\n\n` });
    expect((await world.xl(['button-press', '-h'])).stderr).toBe(warning);
    expect(await world.xl(['button-press', 'hvm1', 'power'])).toEqual({ status: 0, stdout: '', stderr: warning });
    expect(world.parts.hypervisor.getDomain(1)).toBeUndefined();
  });
});
