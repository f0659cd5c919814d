/**
 * A child process a test starts and waits for: `spawnUntil` resolves once the child's stderr holds
 * `marker` (a server's "serving" line), and fails if the child exits first or takes longer than
 * `timeoutMs`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { basename } from 'node:path';

export interface SpawnedChild {
  readonly child: ChildProcess;
  /** Everything the child wrote to stderr so far. */
  readonly stderr: () => string;
}

export async function spawnUntil(command: string, args: readonly string[], marker: string, timeoutMs: number): Promise<SpawnedChild> {
  const name = basename(args[0] ?? command, '.js');
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${stderr}`)), timeoutMs);
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.includes(marker)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}: ${stderr}`));
    });
  });
  return { child, stderr: () => stderr };
}
