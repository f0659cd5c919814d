/**
 * The process's own stdin, terminal and child processes, for the commands that need them
 * (`migrate`, `migrate-receive`, progress of long operations), when the context does not supply
 * them. Loaded only by those commands.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { CommandContext } from '../command-context.ts';
import { isProcessStderr } from './standard-streams.ts';

/** Standard input of the command. */
export function stdinOf(context: CommandContext): AsyncIterable<Uint8Array> {
  return context.stdin ?? process.stdin;
}

/** Whether progress is drawn: `xl -t`, or stderr is a terminal (xl's `progress_use_cr || isatty(2)`). */
export function progressWanted(context: CommandContext, global: { readonly progressUseCr?: boolean }): boolean {
  return global.progressUseCr === true || stderrIsTerminal(context);
}

/** Whether stderr is a terminal (xl's `isatty(2)`). */
export function stderrIsTerminal(context: CommandContext): boolean {
  if (context.stderrIsTTY !== undefined) return context.stderrIsTTY;
  return (context.stderr === process.stderr || isProcessStderr(context.stderr)) && process.stderr.isTTY === true;
}

/**
 * `create_migration_child`: `sh -c <rune>` with its stdin and stdout as the two pipes of the
 * migration channel; its stderr is ours, so the receiver's messages reach the user.
 */
export function spawnMigrationChild(rune: string, env: Readonly<Record<string, string | undefined>>): ChildProcessByStdio<Writable, Readable, null> {
  return spawn('sh', ['-c', rune], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...env } as NodeJS.ProcessEnv });
}

/** Keyboard input for a console, and how to stop reading it. */
export interface ConsoleInput {
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Stops reading (and gives a terminal its mode back); a pending read is abandoned. */
  close(): void;
}

/**
 * Standard input for `xl console`: the context's, or the process's; a terminal is put in raw mode
 * (as xenconsole's `init_term` does) so that Ctrl-] arrives as a byte, and restored on close.
 */
export function consoleInput(context: CommandContext): ConsoleInput {
  const stdin = context.stdin ?? process.stdin;
  const iterator = stdin[Symbol.asyncIterator]();
  const terminal = context.stdin === undefined && process.stdin.isTTY === true;
  if (terminal) process.stdin.setRawMode(true);
  let closed = false;
  return {
    chunks: { [Symbol.asyncIterator]: () => ({ next: () => (closed ? Promise.resolve({ done: true, value: undefined }) : iterator.next()) }) },
    close() {
      if (closed) return;
      closed = true;
      if (terminal) process.stdin.setRawMode(false);
      if (context.stdin === undefined) process.stdin.destroy();
      else void iterator.return?.()?.catch(() => undefined);
    },
  };
}
