/**
 * The QEMU machine of a real guest, from the device model arguments of its config
 * (`device_model_args` then `device_model_args_hvm`, which libxl appends to qemu-xen's command line
 * after its own, `tools/libs/light/libxl_dm.c` libxl__build_device_model_args_new). qemu-xen 4.17
 * always runs Xen's `xenfv` machine; here a real guest runs on QEMU's `pc` unless these arguments
 * name `-machine q35` (or `-M q35`); QEMU takes the last machine given. Any other argument is
 * refused: the device model builds the rest of its command line itself (docs/xl-cfg.md).
 */
import type { DomainConfig } from '@xen-genid/xl-lib';
import type { QemuMachine } from './device-model.ts';
import { QemuDmError } from './errors.ts';

const MACHINES: readonly QemuMachine[] = ['pc', 'q35'];

export function machineOfConfig(config: DomainConfig): QemuMachine {
  const args = [...config.buildInfo.extra, ...config.buildInfo.extraHvm];
  let machine: QemuMachine = 'pc';
  for (let index = 0; index < args.length; index += 2) {
    const [option, value] = [args[index]!, args[index + 1]];
    if (option !== '-machine' && option !== '-M') {
      throw new QemuDmError('INVALID_ARGUMENT', `device_model_args: a real guest's device model takes only "-machine pc" or "-machine q35", not ${JSON.stringify(option)}`);
    }
    const type = value?.split(',')[0]?.replace(/^type=/, '');
    if (!MACHINES.includes(type as QemuMachine)) {
      throw new QemuDmError('INVALID_ARGUMENT', `device_model_args: ${option} ${value === undefined ? 'needs a machine' : JSON.stringify(value)}: a real guest runs on pc or q35`);
    }
    machine = type as QemuMachine;
  }
  return machine;
}
