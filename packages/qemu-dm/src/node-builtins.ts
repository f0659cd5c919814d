/**
 * Node built-ins that only some operations of this package need (child processes: QEMU, QMP,
 * downloads; compression: a real guest's initramfs), loaded at their first use. `xl` loads this
 * package for every command that opens a host file, and loading `node:child_process` (with Node's
 * `net` and stream modules behind it) at that point cost every such command milliseconds of its
 * start, a simulated guest's create included.
 */
import type { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export const childProcess = (): typeof import('node:child_process') => process.getBuiltinModule('node:child_process');
export const zlib = (): typeof import('node:zlib') => process.getBuiltinModule('node:zlib');

/** `execFile` as a promise (its `util.promisify` form), node:child_process loaded at the first call. */
export const execFileAsync = ((...args: unknown[]) =>
  (promisify(childProcess().execFile) as unknown as (...rest: unknown[]) => unknown)(...args)) as typeof execFile.__promisify__;
