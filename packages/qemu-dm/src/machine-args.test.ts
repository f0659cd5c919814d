import { defaultDomainConfig } from '@xen-genid/xl-lib';
import { describe, expect, it } from 'vitest';
import { QemuDmError } from './errors.ts';
import { machineOfConfig } from './machine-args.ts';

const withArgs = (extra: string[], extraHvm: string[] = []) => {
  const config = defaultDomainConfig('hvm');
  config.buildInfo.extra = extra;
  config.buildInfo.extraHvm = extraHvm;
  return config;
};

describe('machineOfConfig', () => {
  it('is pc by default, and the last -machine or -M of device_model_args then device_model_args_hvm', () => {
    expect(machineOfConfig(withArgs([]))).toBe('pc');
    expect(machineOfConfig(withArgs([], ['-machine', 'q35']))).toBe('q35');
    expect(machineOfConfig(withArgs(['-M', 'q35'], ['-machine', 'type=pc,accel=tcg']))).toBe('pc');
    expect(machineOfConfig(withArgs(['-machine', 'q35,smm=off']))).toBe('q35');
  });

  it('refuses any other machine or argument with a clear error', () => {
    expect(() => machineOfConfig(withArgs([], ['-machine', 'xenfv']))).toThrow('device_model_args: -machine "xenfv": a real guest runs on pc or q35');
    expect(() => machineOfConfig(withArgs([], ['-machine']))).toThrow('device_model_args: -machine needs a machine');
    expect(() => machineOfConfig(withArgs(['-vga', 'std']))).toThrow('a real guest\'s device model takes only "-machine pc" or "-machine q35", not "-vga"');
    expect(() => machineOfConfig(withArgs(['-s']))).toThrow(expect.objectContaining({ name: QemuDmError.name, code: 'INVALID_ARGUMENT' }));
  });
});
