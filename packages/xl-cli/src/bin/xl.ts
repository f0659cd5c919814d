#!/usr/bin/env node
/** The `xl` executable: the only code that reads `process`. */
import { main } from '../main.ts';
import { readConfigFile } from '../toolstack/read-config-file.ts';
import { processOutput } from '../toolstack/standard-streams.ts';

// A failed write to stdout (a full disk, a closed pipe) is kept for `main` to report, not thrown
// out of an event handler.
let stdoutError: unknown;
const stdout = processOutput(1, () =>
  process.stdout.on('error', (error) => {
    stdoutError ??= error;
  }),
);
const stderr = processOutput(2, () => process.stderr);

// No top-level await: the bundle runs as a script (scripts/bundle-bin.mjs).
void main(process.argv.slice(2), {
  stdout: {
    write(chunk) {
      if (stdoutError !== undefined) throw stdoutError;
      return stdout.write(chunk, (error) => {
        if (error) stdoutError ??= error;
      });
    },
    flush: () =>
      new Promise<void>((resolve, reject) => {
        const settle = (): void => (stdoutError === undefined ? resolve() : reject(stdoutError));
        // Written directly, everything is out already.
        const stream = stdout.stream;
        if (stdoutError !== undefined || stream === undefined || stream.destroyed) settle();
        else stream.write('', settle);
      }),
  },
  stderr,
  readFile: readConfigFile,
  env: process.env,
}).then((status) => {
  process.exitCode = status;
});
