import { describe, expect, it } from 'vitest';
import { parseGuestLog, parseKprobeBytes } from './guest-log.ts';

const probeLine =
  'init-1       [000] .....     1.544290: vgrand: (add_device_randomness+0x0/0xa0) id={0x5e,0x1f,0x3a,0x9c,0x0,0x11,0x22,0x33,0x44,0x55,0x66,0x77,0x88,0x99,0xaa,0xbb} len=16 caller=vmgenid_add+0x118/0x170';
const forkLine =
  'kworker/0:2-47      [000] .....     2.679397: vgfork: (add_vmfork_randomness+0x0/0x38) id={0xc0,0xff,0xee,0x0,0xde,0xad,0xbe,0xef,0x1,0x23,0x45,0x67,0x89,0xab,0xcd,0xef} len=16';

// A console transcript as the guest writes it, kernel noise included.
const transcript = [
  '[    0.000000] Linux version 6.1.0-56-amd64',
  'GENID: begin kernel=6.1.0-56-amd64\r',
  'GENID: device name=XEN0000:00 path=\\_SB_.PCI0.ISA_.VGID hid=XEN0000 uid=0 status=15 modalias=acpi:XEN0000:VM_GEN_COUNTER: driver=vmgenid',
  `GENID: trace boot ${probeLine}`,
  'GENID: dmesg boot [    0.035164] ACPI: Table Upgrade: override [DSDT-BOCHS -BXPC    ]',
  'GENID: phase unchanged',
  'GENID: trace unchanged kworker/0:1-17 [000] ..... 2.1: vgntf: (vmgenid_notify+0x0/0x60)',
  'GENID: phase changed',
  'GENID: trace changed kworker/0:1-17 [000] ..... 2.6: vgntf: (vmgenid_notify+0x0/0x60)',
  `GENID: trace changed ${forkLine}`,
  'GENID: dmesg changed [    2.647991] random: crng reseeded due to virtual machine fork',
  'GENID: phase again',
  'GENID: trace again kworker/0:1-17 [000] ..... 3.1: vgntf: (vmgenid_notify+0x0/0x60)',
  'GENID: end',
  '[    3.500000] reboot: Power down',
].join('\n');

describe('parseKprobeBytes', () => {
  it('reads 16 bytes in memory order', () => {
    expect(Buffer.from(parseKprobeBytes(probeLine) ?? []).toString('hex')).toBe('5e1f3a9c00112233445566778899aabb');
  });

  it('refuses a line without exactly 16 byte values', () => {
    expect(parseKprobeBytes('id={0x1,0x2} len=2')).toBeUndefined();
    expect(parseKprobeBytes(`id={${Array(16).fill('0x100').join(',')}}`)).toBeUndefined();
    expect(parseKprobeBytes('no id here')).toBeUndefined();
  });
});

describe('parseGuestLog', () => {
  const log = parseGuestLog(transcript);

  it('reads the enumerated device and its driver', () => {
    expect(log.kernelRelease).toBe('6.1.0-56-amd64');
    expect(log.completed).toBe(true);
    expect(log.devices).toEqual([
      {
        name: 'XEN0000:00',
        path: '\\_SB_.PCI0.ISA_.VGID',
        hid: 'XEN0000',
        uid: '0',
        status: 15,
        modalias: 'acpi:XEN0000:VM_GEN_COUNTER:',
        driver: 'vmgenid',
      },
    ]);
  });

  it('keeps the probe-time read with its caller and the boot dmesg', () => {
    expect(log.probeReads).toHaveLength(1);
    expect(log.probeReads[0]?.caller).toBe('vmgenid_add+0x118/0x170');
    expect(log.bootDmesg).toEqual(['[    0.035164] ACPI: Table Upgrade: override [DSDT-BOCHS -BXPC    ]']);
  });

  it('attributes notifies, fork messages and vmfork bytes to their phase', () => {
    expect(log.phases.unchanged).toMatchObject({ notifies: 1, vmfork: [], forkMessages: [] });
    expect(log.phases.changed?.notifies).toBe(1);
    expect(log.phases.changed?.forkMessages).toHaveLength(1);
    expect(Buffer.from(log.phases.changed?.vmfork[0]?.bytes ?? []).toString('hex')).toBe('c0ffee00deadbeef0123456789abcdef');
    expect(log.phases.again).toMatchObject({ notifies: 1, vmfork: [], forkMessages: [] });
  });

  it('reports an unbound, absent device and an unfinished guest', () => {
    const partial = parseGuestLog('GENID: begin kernel=x\nGENID: device name=XEN0000:00 path=\\_SB_.VGID hid=XEN0000 uid=0 status=0 modalias= driver=none\n');
    expect(partial.completed).toBe(false);
    expect(partial.devices[0]).toMatchObject({ status: 0, modalias: '', driver: undefined });
    expect(partial.probeReads).toEqual([]);
  });
});
