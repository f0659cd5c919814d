import { describe, expect, it } from 'vitest';
import { XlError } from '../errors.ts';
import { createLibxl } from '../lifecycle/libxl.ts';
import { closeAfterTest } from '../__fixtures__/machine.ts';
import { defaultDomainConfig } from '../types/domain-config.ts';
import { memoryMachine } from '../lifecycle/guest-model.ts';
import type { ConsoleRef, ConsoleSource } from './console-source.ts';

const text = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : Buffer.from(bytes).toString());

function machine(consoles?: ConsoleSource) {
  const parts = memoryMachine();
  const libxl = closeAfterTest(createLibxl({ ...parts, ...(consoles ? { consoles } : {}) }));
  const { hypervisor } = parts;
  return { hypervisor, libxl };
}

describe('consoles', () => {
  it('finds the primary console as libxl__primary_console_find: serial 0 for HVM, PV for PV and PVH', () => {
    const { hypervisor, libxl } = machine();
    const hvm = hypervisor.createDomain({ type: 'hvm' }).domid;
    const pv = hypervisor.createDomain({ type: 'pv' }).domid;
    const pvh = hypervisor.createDomain({ type: 'pvh' }).domid;
    expect(libxl.primaryConsole(hvm)).toEqual({ domid: hvm, type: 'serial', num: 0 });
    expect(libxl.primaryConsole(pv)).toEqual({ domid: pv, type: 'pv', num: 0 });
    expect(libxl.primaryConsole(pvh)).toEqual({ domid: pvh, type: 'pv', num: 0 });
    expect(libxl.primaryConsole(0)).toEqual({ domid: 0, type: 'pv', num: 0 });
    for (const missing of [99, 70000]) {
      let error: unknown;
      try {
        libxl.primaryConsole(missing);
      } catch (caught) {
        error = caught;
      }
      expect(XlError.is(error) && error.code).toBe('INVAL');
      expect((error as Error).message).toBe(`libxl_dom.c:37:libxl__domain_type: unable to get domain type for domid=${missing}`);
    }
  });

  it('reads what a simulated guest printed at boot, from any offset, on console 0 of either type', () => {
    const { libxl } = machine();
    const config = defaultDomainConfig('hvm');
    config.createInfo.name = 'c';
    const domid = libxl.createDomain(config);
    const serial = libxl.primaryConsole(domid);
    const all = text(libxl.readConsole(serial, 0)?.data) ?? '';
    expect(all).toMatch(/^hvmloader: ACPI tables built/);
    expect(text(libxl.readConsole({ ...serial, type: 'pv' }, 0)?.data)).toBe(all);
    expect(text(libxl.readConsole(serial, 5)?.data)).toBe(all.slice(5));
    expect(libxl.readConsole({ ...serial, num: 1 }, 0)).toBeUndefined();
    expect(libxl.readConsole({ ...serial, type: 'vuart' }, 0)).toBeUndefined();
    expect(libxl.writeConsole(serial, Buffer.from('x'))).toBe(true);
    expect(libxl.writeConsole({ ...serial, num: 2 }, Buffer.from('x'))).toBe(false);
  });

  it('asks a plugged-in source first, and the hypervisor for the consoles it does not serve', () => {
    const written: string[] = [];
    const serves = (console: ConsoleRef) => console.domid === 1 && console.type === 'serial';
    const { hypervisor, libxl } = machine({
      read: (console, offset) => (serves(console) ? { start: offset, data: Buffer.from('qemu serial') } : undefined),
      write: (console, data) => serves(console) && written.push(Buffer.from(data).toString()) > 0,
    });
    hypervisor.createDomain({ type: 'hvm' });
    hypervisor.appendConsole(1, Buffer.from('simulated'));
    expect(text(libxl.readConsole({ domid: 1, type: 'serial', num: 0 }, 0)?.data)).toBe('qemu serial');
    expect(text(libxl.readConsole({ domid: 1, type: 'pv', num: 0 }, 0)?.data)).toBe('simulated');
    expect(libxl.writeConsole({ domid: 1, type: 'serial', num: 0 }, Buffer.from('ls\r'))).toBe(true);
    expect(written).toEqual(['ls\r']);
  });
});
