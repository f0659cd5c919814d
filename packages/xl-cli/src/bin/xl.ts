#!/usr/bin/env node
/** The `xl` executable: the only code that reads `process`. */
import { main } from '../main.ts';
import { readConfigFile } from '../toolstack/read-config-file.ts';

// A failed write to stdout (a full disk, a closed pipe) is kept for `main` to report, not thrown
// out of an event handler.
let stdoutError: unknown;
process.stdout.on('error', (error) => {
  stdoutError ??= error;
});

// No top-level await: the bundle runs as a script (scripts/bundle-bin.mjs).
void main(process.argv.slice(2), {
  stdout: {
    write(chunk) {
      if (stdoutError !== undefined) throw stdoutError;
      return process.stdout.write(chunk, (error) => {
        if (error) stdoutError ??= error;
      });
    },
    flush: () =>
      new Promise<void>((resolve, reject) => {
        const settle = (): void => (stdoutError === undefined ? resolve() : reject(stdoutError));
        if (stdoutError !== undefined || process.stdout.destroyed) settle();
        else process.stdout.write('', settle);
      }),
  },
  stderr: process.stderr,
  readFile: readConfigFile,
  env: process.env,
}).then((status) => {
  process.exitCode = status;
});
