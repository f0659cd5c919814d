/**
 * Xen's own console ring as libxl reads it for `xl dmesg` (`libxl_xen_console_read_start`,
 * `libxl_xen_console_read_line`, `tools/libs/light/libxl_console.c`, over `xc_readconsolering`):
 * incrementally, at most 16 KiB a read, until a read brings nothing new; with `clear`, every read
 * also clears the ring.
 */
import type { Hypervisor } from '@xen-genid/xc-params';

/** libxl's reader buffer: 16 KiB. */
const READ_SIZE = 16384;

export function readXenConsole(hypervisor: Hypervisor, clear: boolean): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let index = 0;
  for (;;) {
    const { start, data } = hypervisor.readXenConsole(index, clear);
    const piece = data.subarray(0, READ_SIZE);
    if (piece.length === 0) return pieces;
    pieces.push(piece);
    index = start + piece.length;
  }
}
