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

/** Runs the verifier on many files, `parallel` at a time; each file's status and output. */
export async function verifyStreams(files: readonly string[], parallel = 2): Promise<{ file: string; status: number | null; output: string }[]> {
  const { execFile } = await import('node:child_process');
  const results: { file: string; status: number | null; output: string }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const file = files[next++]!;
      results.push(
        await new Promise((resolve) => {
          execFile(
            verifyStreamReferee.paths.python3 ?? 'python3',
            [VERIFY_STREAM, '-f', 'xl', '-v', '-i', file],
            { env: { ...process.env, PYTHONPATH: XEN_PYTHONPATH }, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
            (error, stdout, stderr) => resolve({ file, status: error ? ((error as { code?: number }).code ?? null) : 0, output: `${stdout}${stderr}` }),
          );
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return results;
}
