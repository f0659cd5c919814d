import { describe, expect, it } from 'vitest';
import { decodeDeviceState, encodeDeviceState } from './device-state.ts';

describe('the device state of a real guest', () => {
  it('carries QEMU\'s stream and the console log, and refuses anything else', () => {
    const qemu = Uint8Array.of(0x51, 0x45, 0x56, 0x4d, 0, 0, 0, 3, 9);
    const consoleLog = new TextEncoder().encode('GENID: ready\n');
    const data = encodeDeviceState({ qemu, consoleLog });
    expect(data.length).toBe(4 + qemu.length + consoleLog.length);
    const back = decodeDeviceState(data);
    expect([...back.qemu]).toEqual([...qemu]);
    expect(new TextDecoder().decode(back.consoleLog)).toBe('GENID: ready\n');
    expect(decodeDeviceState(encodeDeviceState({ qemu, consoleLog: new Uint8Array(0) })).consoleLog.length).toBe(0);
    for (const bad of [new Uint8Array(0), Uint8Array.of(9, 0, 0, 0, 1), encodeDeviceState({ qemu: Uint8Array.of(1, 2, 3, 4), consoleLog })]) {
      expect(() => decodeDeviceState(bad)).toThrow(/not a device state this device model wrote/);
    }
  });
});
