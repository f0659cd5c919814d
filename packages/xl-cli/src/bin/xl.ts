#!/usr/bin/env node
/** The `xl` executable: the only code that reads `process`. */
import { main } from '../main.ts';
import { readConfigFile } from '../toolstack/read-config-file.ts';

const status = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  readFile: readConfigFile,
  env: process.env,
});
process.exitCode = status;
