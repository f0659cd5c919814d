/** Debian's `verify-stream-v2` (xen-utils-4.17), run on a save file. */
import { spawnSync } from 'node:child_process';
import { findReferee } from '@xen-genid/test-utils';

export const VERIFY_STREAM = '/usr/lib/xen-4.17/bin/verify-stream-v2';
export const XEN_PYTHONPATH = '/usr/lib/xen-4.17/lib/python';
export const verifyStreamReferee = findReferee('verify-stream-v2 (xen-utils-4.17)', [VERIFY_STREAM, 'python3']);

/** Runs the verifier on `file` as `-f xl -v`; its exit status and output. */
export function verifyStream(file: string): { status: number | null; output: string } {
  const result = spawnSync(verifyStreamReferee.paths.python3 ?? 'python3', [VERIFY_STREAM, '-f', 'xl', '-v', '-i', file], {
    env: { ...process.env, PYTHONPATH: XEN_PYTHONPATH },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
