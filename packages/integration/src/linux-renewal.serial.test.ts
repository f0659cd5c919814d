/**
 * The bytes of an xl-lib renewal, fed to a real Linux kernel: a domain is created with one ID and
 * renewed with `renewVmGenid` (the running guest model gets the ACPI notify); then Debian's kernel
 * boots under QEMU on our firmware's tables with the first ID, the guest writes the bytes the
 * renewal left in guest memory over its buffer, and the notifies make Linux's vmgenid driver re-read:
 * it must report one VM fork with exactly those bytes.
 */
import { bootLinux } from '@xen-genid/qemu-dm';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { MsVmGenid, createLibxl, createSeededRandomSource, defaultDomainConfig, memoryMachine, queryVmGenid, renewVmGenid } from '@xen-genid/xl-lib';
import { expect, it } from 'vitest';

const referee = findReferee('qemu-system-x86, busybox-static and apt (for the kernel)', ['qemu-system-x86_64', '/bin/busybox', 'apt-get', 'dpkg-deb']);

describeWithReferee('a real Linux guest re-reads the ID xl-lib renewed', referee, () => {
  it('binds to the first ID, then sees exactly the renewed bytes after the notify', async () => {
    const libxl = createLibxl({ ...memoryMachine(), random: createSeededRandomSource(10) });
    const first = MsVmGenid.fromGuid('44332211-6655-8877-99aa-bbccddeeff00');
    const config = defaultDomainConfig('hvm');
    config.createInfo.name = 'linux';
    config.buildInfo.maxMemkb = 65536n;
    config.buildInfo.targetMemkb = 65536n;
    if (config.buildInfo.u.type === 'hvm') config.buildInfo.u.msVmGenid = first;
    const domid = libxl.createDomain(config);
    const renewal = renewVmGenid(libxl, domid, { kind: 'new' });
    const views = queryVmGenid(libxl, domid);
    libxl.close();
    expect(renewal.notify).toBe('delivered');
    expect(views.guest?.equals(renewal.genid)).toBe(true);
    const renewed = views.memory!; // the bytes the renewal wrote at param 34's address
    expect(renewed.equals(first)).toBe(false);

    const result = await bootLinux({
      generationId: { low: first.lo, high: first.hi },
      renewalGenerationId: { low: renewed.lo, high: renewed.hi },
      timeoutMs: 180_000,
    });
    if (result.status === 'unavailable') throw new Error(`cannot boot Linux: missing ${result.missing.join(', ')}`);
    const { report } = result;
    expect(report.verdict, report.console.slice(-2000)).toBe('match');
    expect(report.read).toBe(first.toHex());
    expect(report.renewal?.expected).toBe(renewed.toHex());
    expect(report.renewal?.ok, report.console.slice(-2000)).toBe(true);
  });
});
