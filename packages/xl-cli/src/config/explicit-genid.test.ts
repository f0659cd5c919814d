import { describe, expect, it } from 'vitest';
import { domainConfigToJsonText } from '@xen-genid/xl-lib';
import { parseConfigData } from './to-domain-config.ts';

const HVM = 'name = "e"\ntype = "hvm"\nmemory = 64\n';

function genidHex(text: string): string | undefined {
  const result = parseConfigData(text, { source: 'e.cfg' });
  const u = result.config?.buildInfo.u;
  return u?.type === 'hvm' ? u.msVmGenid.toHex() : undefined;
}

describe('ms_vm_genid = "<ID>" (beyond Xen: an explicit ID)', () => {
  it('takes a GUID, bytes swapped as QEMU and libvirt do', () => {
    expect(genidHex(`${HVM}ms_vm_genid = "44332211-6655-8877-99aa-bbccddeeff00"\n`)).toBe('112233445566778899aabbccddeeff00');
    expect(genidHex(`${HVM}ms_vm_genid = "44332211-6655-8877-99AA-BBCCDDEEFF00"\n`)).toBe('112233445566778899aabbccddeeff00');
  });

  it("takes xenstore's lo:hi decimal pair", () => {
    expect(genidHex(`${HVM}ms_vm_genid = "9833440827789222417:72038755451251353"\n`)).toBe('112233445566778899aabbccddeeff00');
  });

  it('is the same ID on every parse, printed by the dry run as libxl JSON', () => {
    const text = `${HVM}ms_vm_genid = "44332211-6655-8877-99aa-bbccddeeff00"\n`;
    const one = parseConfigData(text).config!;
    const two = parseConfigData(text).config!;
    const genidJson = (config: typeof one): string | undefined => /"ms_vm_genid": \[[\s\d,]*\]/.exec(domainConfigToJsonText(config))?.[0];
    expect(genidJson(one)).toBeDefined();
    expect(genidJson(one)).toBe(genidJson(two));
    expect(domainConfigToJsonText(one)).toMatch(/"ms_vm_genid": \[\s*17,\s*34,/);
  });

  it('refuses an all-zero ID, a leading-zero xenstore word, and keeps xl\'s message for other text', () => {
    expect(parseConfigData(`${HVM}ms_vm_genid = "0:0"\n`)).toMatchObject({
      exitCode: 1,
      diagnostics: [{ message: 'ERROR: "ms_vm_genid" = "0:0" is all-zero: use "none" for no generation ID' }],
    });
    const octal = parseConfigData(`${HVM}ms_vm_genid = "012:5"\n`);
    expect(octal.exitCode).toBe(1);
    expect(octal.diagnostics[0]?.message).toMatch(/^ERROR: "ms_vm_genid" = "012:5": .*leading zero/);
    for (const value of ['"44332211-6655-8877-99aa"', '"1:2:3"', '"0x1:0x2"']) {
      expect(parseConfigData(`${HVM}ms_vm_genid = ${value}\n`)).toMatchObject({
        exitCode: 1,
        diagnostics: [{ message: 'ERROR: "ms_vm_genid" option must be "generate" or "none"' }],
      });
    }
  });

  it('is ignored for PV guests, as "generate" is', () => {
    const result = parseConfigData('name = "p"\nkernel = "/k"\nms_vm_genid = "44332211-6655-8877-99aa-bbccddeeff00"\n');
    expect(result.config?.buildInfo.u.type).toBe('pv');
  });
});
