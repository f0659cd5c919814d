import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { describe, expect, it } from 'vitest';
import { VGID_DEVICE_PATH, buildGenidNotifySsdt, byteSum } from '@xen-genid/hvmloader-sim';
import { buildNotifySsdt } from './notify-ssdt.ts';

describe('buildNotifySsdt', () => {
  it('builds a checksummed SSDT with its own ids', () => {
    const table = buildNotifySsdt({ devicePath: '\\_SB.PCI0.ISA.VGID' });
    expect(new TextDecoder().decode(table.subarray(0, 4))).toBe('SSDT');
    expect(new DataView(table.buffer).getUint32(4, true)).toBe(table.length);
    expect(byteSum(table)).toBe(0);
    expect(new TextDecoder().decode(table.subarray(10, 24))).toBe('XENSIMVGNOTIFY');
  });

  it('refuses a relative device path and over-long ids', () => {
    expect(() => buildNotifySsdt({ devicePath: 'VGID' })).toThrow(/absolute/);
    expect(() => buildNotifySsdt({ devicePath: '\\VGID', oemId: 'TOOLONG' })).toThrow(/OEM id/);
  });

  it('the Linux harness table is the same builder with the thermal zone only', () => {
    const harness = buildNotifySsdt({ devicePath: VGID_DEVICE_PATH });
    expect(Buffer.from(harness).equals(Buffer.from(buildGenidNotifySsdt({ devicePath: VGID_DEVICE_PATH, thermalZone: true })))).toBe(true);
    expect(Buffer.from(harness).includes(Buffer.from('_GPE'))).toBe(false);
  });
});

describeWithReferee('buildNotifySsdt disassembled by iasl', findReferee('iasl (acpica-tools)', ['iasl']), () => {
  it('is a thermal zone whose _TMP notifies the device with 0x80', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xen-genid-ssdt-'));
    try {
      writeFileSync(join(dir, 'notify.aml'), buildNotifySsdt({ devicePath: '\\_SB.PCI0.ISA.VGID' }));
      execFileSync('iasl', ['-d', 'notify.aml'], { cwd: dir, stdio: 'ignore' });
      const asl = readFileSync(join(dir, 'notify.dsl'), 'utf8');
      expect(asl).toMatch(/DefinitionBlock \("", "SSDT", 2, "XENSIM", "VGNOTIFY", 0x00000001\)/);
      expect(asl).toMatch(/ThermalZone \(\\_TZ\.VGTZ\)/);
      expect(asl).toMatch(/Notify \(\\_SB\.PCI0\.ISA\.VGID, 0x80\)/);
      expect(asl).toMatch(/Return \(0x0BB8\)/);
      expect(asl).toMatch(/Method \(_CRT, 0, NotSerialized\)[\s\S]*Return \(0x0FA0\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
