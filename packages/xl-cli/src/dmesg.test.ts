/**
 * `xl dmesg [-c]`: Xen's console ring of the simulated machine (what it printed at boot), printed
 * whole; `-c` / `--clear` clears it after printing, so the next `xl dmesg` prints nothing new.
 */
import { xenBootLog } from '@xen-genid/xc-params';
import { describe, expect, it } from 'vitest';
import { memoryXl } from './__fixtures__/memory-xl.ts';

describe('xl dmesg', () => {
  it("prints the machine's console ring, and leaves it as it was", async () => {
    const world = memoryXl();
    const first = await world.xl(['dmesg']);
    expect(first).toEqual({ status: 0, stdout: xenBootLog(), stderr: '' });
    expect(first.stdout.split('\n')).toEqual([
      '(XEN) Xen version 4.17.0 (@) () debug=n ',
      '(XEN) Latest ChangeSet: ',
      '(XEN) Command line: ',
      '(XEN) Using scheduler: SMP Credit Scheduler rev2 (credit2)',
      '(XEN) Brought up 2 CPUs',
      '',
    ]);
    // main_dmesg takes no arguments and ignores any it is given.
    expect(await world.xl(['dmesg', 'ignored'])).toEqual(first);
  });

  it('with -c or --clear prints the ring, then nothing is left to print', async () => {
    for (const clear of ['-c', '--clear']) {
      const world = memoryXl();
      expect((await world.xl(['dmesg', clear])).stdout).toBe(xenBootLog());
      expect(await world.xl(['dmesg'])).toEqual({ status: 0, stdout: '', stderr: '' });
      expect(await world.xl(['dmesg', clear])).toEqual({ status: 0, stdout: '', stderr: '' });
    }
  });

  it('refuses an option xl does not know, as SWITCH_FOREACH_OPT does', async () => {
    const world = memoryXl();
    expect(await world.xl(['dmesg', '-x'])).toEqual({ status: 2, stdout: '', stderr: "option `x' not supported.\n" });
  });
});
