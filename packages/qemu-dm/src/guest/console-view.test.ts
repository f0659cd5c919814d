import { describe, expect, it } from 'vitest';
import { parseGuestConsole } from './console-view.ts';

const probe = (bytes: string): string =>
  `init-1 [000] ..... 1.5: vgrand: (add_device_randomness+0x0/0xa0) id={${bytes}} len=16 caller=vmgenid_add+0x118/0x170`;
const fork = (bytes: string): string => `kworker/0:2-47 [000] .N... 5.5: vgfork: (add_vmfork_randomness+0x0/0x38) id={${bytes}} len=16`;
const ONES = Array(16).fill('0x1').join(',');
const TWOS = Array(16).fill('0x2').join(',');

describe('the guest console', () => {
  it('gives the ID read at probe, the notifies, each changed ID re-read, and the reseeds', () => {
    const view = parseGuestConsole(
      [
        'GENID: begin kernel=6.1.0-57-amd64',
        'GENID: device name=XEN0000:00 path=\\_SB_.PCI0.ISA_.VGID status=15 driver=vmgenid',
        `GENID: read ${probe(ONES)}`,
        'GENID: ready',
        'GENID: notify',
        '[    5.2] random: crng reseeded due to virtual machine fork',
        `GENID: fork ${fork(TWOS)}`,
        'GENID: notify',
      ].join('\r\n'),
    );
    expect(view).toEqual({
      kernelRelease: '6.1.0-57-amd64',
      ready: true,
      bound: true,
      bootRead: '01'.repeat(16),
      forkReads: ['02'.repeat(16)],
      notifies: 2,
      reseeds: 1,
      current: '02'.repeat(16),
    });
  });

  it('starts again at a reboot, and knows nothing of an unbound device', () => {
    const view = parseGuestConsole(
      [`GENID: begin kernel=a`, `GENID: read ${probe(ONES)}`, 'GENID: notify', `GENID: fork ${fork(TWOS)}`, 'GENID: begin kernel=b', 'GENID: device name=XEN0000:00 path=x status=0 driver=none', 'GENID: ready'].join('\n'),
    );
    expect(view).toMatchObject({ kernelRelease: 'b', bound: false, bootRead: undefined, forkReads: [], notifies: 0, reseeds: 0, current: undefined, ready: true });
    expect(parseGuestConsole('').ready).toBe(false);
  });
});
