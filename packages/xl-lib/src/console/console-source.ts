/**
 * A domain's console, as `xl console` reaches it: what the guest prints, and where keyboard input
 * goes. In Xen, libxl finds the console (`libxl__primary_console_find`, `libxl_console_exec` in
 * `tools/libs/light/libxl_console.c`: serial 0 for an HVM guest, the PV console for PV and PVH)
 * and `xenconsole` (`tools/console/client/main.c`) copies the pty that xenconsoled or QEMU serves.
 * Here a console is read through a `ConsoleSource`:
 * - a simulated guest's console is the log the guest model writes into the hypervisor
 *   (`Hypervisor.appendConsole`), served by `hypervisorConsoles`, which every `Libxl` has;
 * - a device model serving a real guest (qemu-dm: QEMU's serial port) plugs its own source in
 *   through `LibxlOptions.consoles`, asked before the hypervisor's.
 */
import type { ConsoleOutput, Hypervisor } from '@xen-genid/xc-params';

/** `libxl_console_type`. */
export type ConsoleType = 'pv' | 'serial' | 'vuart';

/** Which console: a domain's console `num` of `type` (xenconsole's `DOMID --num N --type T`). */
export interface ConsoleRef {
  readonly domid: number;
  readonly type: ConsoleType;
  readonly num: number;
}

/** Where consoles are read from and written to. */
export interface ConsoleSource {
  /**
   * The console's output from byte `offset` on (counted from the console's first byte; older
   * bytes may be gone, then `start` is above `offset`), or `undefined` when this source does not
   * serve that console (the next source is asked). Throws when the domain does not exist.
   */
  read(console: ConsoleRef, offset: number): ConsoleOutput | undefined;
  /** Keyboard input for the console; `false` when this source does not serve it. */
  write(console: ConsoleRef, data: Uint8Array): boolean;
}

/**
 * The consoles of simulated guests: console 0 of each type is the domain's one log in the
 * hypervisor (what the guest model prints). Input reaches no program in the model and is dropped.
 */
export function hypervisorConsoles(hypervisor: Hypervisor): ConsoleSource {
  return {
    read: (console, offset) => (console.num === 0 && console.type !== 'vuart' ? hypervisor.readConsole(console.domid, offset) : undefined),
    write: (console) => console.num === 0 && console.type !== 'vuart',
  };
}

/** Sources asked in order: the first that serves a console answers for it. */
export function consoleChain(sources: readonly ConsoleSource[]): ConsoleSource {
  return {
    read(console, offset) {
      for (const source of sources) {
        const output = source.read(console, offset);
        if (output !== undefined) return output;
      }
      return undefined;
    },
    write: (console, data) => sources.some((source) => source.write(console, data)),
  };
}
