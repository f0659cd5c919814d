#!/usr/bin/env node
/**
 * Records what Debian's real xl 4.17 prints for each case of referee.mjs: stdout, stderr and exit
 * status, run with the preloaded hypervisor stub (../../commands/__fixtures__/xl-hypervisor-stub.c,
 * compiled here with gcc, serving the case's fake domain table) in an empty temp directory. Writes
 * fixtures.json beside this file; the tests compare our xl against it. Only this script writes the
 * fixtures, never our own output.
 *
 *   node packages/xl-cli/src/__fixtures__/xl-referee/record.mjs
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import console from 'node:console';
import { join } from 'node:path';
import { URL } from 'node:url';
import { REAL_XL, buildStub, referenceCases, runReal } from './referee.mjs';

const dir = mkdtempSync(join(tmpdir(), 'xl-referee-'));
try {
  const stub = buildStub(dir);
  const recorded = [];
  const skipped = [];
  for (const { args, domains, files } of referenceCases()) {
    const result = runReal(args, { dir, stub, domains, files });
    if (result.status === null) skipped.push(`${args.join(' ')}: ${result.signal}`);
    else recorded.push({ args, ...(domains === undefined ? {} : { domains }), ...(files === undefined ? {} : { files }), stdout: result.stdout, stderr: result.stderr, status: result.status });
  }
  writeFileSync(new URL('./fixtures.json', import.meta.url), `${JSON.stringify({ xl: REAL_XL, cases: recorded }, null, 1)}\n`);
  console.log(`${recorded.length} cases recorded from ${REAL_XL}`);
  for (const line of skipped) console.log(`not recorded (the stub cannot serve it): ${line}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
