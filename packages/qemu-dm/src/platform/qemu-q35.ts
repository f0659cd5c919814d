/**
 * The firmware's layout for QEMU's `q35` machine (Q35 + ICH9, SeaBIOS): the same as `qemu-pc`
 * (see `qemu-pc.ts`) except for the PCI hole, which starts after the PCIe MMCONFIG window
 * (0xB0000000, 256 MiB) at 0xC0000000.
 */
import type { PlatformLayout } from '@xen-genid/hvmloader-sim';
import { qemuPlatformLayout } from './qemu-pc.ts';

export const QEMU_Q35_PLATFORM_LAYOUT: PlatformLayout = qemuPlatformLayout('qemu-q35', 0xc0000000);
