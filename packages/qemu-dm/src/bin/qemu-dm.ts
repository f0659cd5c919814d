#!/usr/bin/env node
/** The `qemu-dm` executable: the only module that touches `process`. */
import { runCli } from '../cli/main.ts';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
