#!/usr/bin/env node
/** The `xl` executable: the only code that reads `process`. */
import { readFileSync } from 'node:fs';
import { main } from '../main.ts';

const status = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  readFile: (path) => readFileSync(path),
  env: process.env,
});
process.exitCode = status;
