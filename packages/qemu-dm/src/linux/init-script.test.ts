import { execFileSync } from 'node:child_process';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { describe, expect, it } from 'vitest';
import { buildInitScript, KPROBE_EVENTS } from './init-script.ts';

describe('buildInitScript', () => {
  it('writes the new ID with dd at the buffer address, 16 bytes at a time', () => {
    const script = buildInitScript({ renewal: { address: 0x7001460n, bytesFile: '/genid-renewal.bin' } });
    expect(script).toContain(`seek=${0x7001460 / 16} `);
    expect(script.indexOf('phase unchanged')).toBeLessThan(script.indexOf('of=/dev/mem'));
    expect(script.trimEnd().endsWith('poweroff -f')).toBe(true);
  });

  it('refuses an unaligned buffer address', () => {
    expect(() => buildInitScript({ renewal: { address: 0x7001468n, bytesFile: '/x' } })).toThrow(/aligned/);
  });

  it('probes add_device_randomness with the 16 bytes and the caller', () => {
    expect(KPROBE_EVENTS[0]).toMatch(/^p:vgrand,add_device_randomness,id=\+0\(%di\):x8\[16\].*caller=\$stack0:symbol$/);
  });
});

describeWithReferee('the init script under busybox sh', findReferee('busybox-static', ['/bin/busybox']), () => {
  it('parses', () => {
    for (const script of [buildInitScript(), buildInitScript({ renewal: { address: 0x7001460n, bytesFile: '/g' } })]) {
      expect(() => execFileSync('/bin/busybox', ['sh', '-n', '-c', script])).not.toThrow();
    }
  });
});
