/**
 * `xl` in process: `main(argv, context)` on an in-memory machine (xc-params' `MemoryHypervisor`,
 * xenstore's in-memory store, xl-lib's in-memory userdata), with a temp directory for config and
 * save files. Each test makes its own machine; nothing is shared between cases.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryHypervisor, type MemoryHypervisorOptions } from '@xen-genid/xc-params';
import { createMemoryStore } from '@xen-genid/xenstore';
import { MemoryUserdataStore, createSeededRandomSource, libxlGuestModel } from '@xen-genid/xl-lib';
import { onTestFinished } from 'vitest';
import type { CommandContext, OutputStream, ToolstackParts } from '../command-context.ts';
import { main } from '../main.ts';
import { genidViewOn, type GenidView, type XlResult } from './xl-world.ts';

export interface RunOptions {
  readonly stdout?: OutputStream;
  readonly stdin?: AsyncIterable<Uint8Array>;
  /** `argv[0]` (getopt's messages name it). */
  readonly programName?: string;
  /** The clock the command reads. */
  readonly now?: () => number;
}

export interface MemoryXl {
  readonly parts: ToolstackParts & { readonly hypervisor: MemoryHypervisor };
  /** A temp directory for files, removed after the test. */
  readonly dir: string;
  /** Writes a file in `dir`; returns its absolute path. */
  file(name: string, text: string): string;
  /** Runs `xl args` in process; resolves to its stdout, stderr and exit status. */
  xl(args: readonly string[], options?: RunOptions): Promise<XlResult>;
  /** Runs `xl args` and expects exit status 0. */
  ok(args: readonly string[]): Promise<XlResult>;
  /** Where the ID of the domain named `name` lives, or undefined. */
  view(name: string): GenidView | undefined;
}

/** A fresh in-memory machine for the current test (seeded random source: uuids and IDs repeat). */
export function memoryXl(
  seed = 1,
  makeHypervisor: (options: MemoryHypervisorOptions) => MemoryHypervisor = (options) => new MemoryHypervisor(options),
): MemoryXl {
  const dir = mkdtempSync(join(tmpdir(), 'xl-cli-memory-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const xenstore = createMemoryStore();
  const userdata = new MemoryUserdataStore();
  // The machine runs libxl's guest model, bound when it is made.
  const hypervisor = makeHypervisor({ guestModel: (self) => libxlGuestModel({ hypervisor: self, xenstore, userdata }) });
  const parts = { hypervisor, xenstore, userdata };
  const random = createSeededRandomSource(seed);
  const run = async (args: readonly string[], options: RunOptions = {}): Promise<XlResult> => {
    let stdout = '';
    let stderr = '';
    const context: CommandContext = {
      stdout: options.stdout ?? { write: (chunk) => (stdout += Buffer.from(chunk).toString('utf8')) },
      stderr: { write: (chunk) => (stderr += Buffer.from(chunk).toString('utf8')) },
      readFile: (path) => readFileSync(path),
      env: {},
      random,
      stderrIsTTY: false,
      toolstack: parts,
      ...(options.stdin ? { stdin: options.stdin } : {}),
      ...(options.programName ? { programName: options.programName } : {}),
      ...(options.now ? { now: options.now } : {}),
    };
    const status = await main(args, context);
    return { stdout, stderr, status };
  };
  return {
    parts,
    dir,
    file(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    xl: run,
    async ok(args) {
      const result = await run(args);
      if (result.status !== 0) throw new Error(`xl ${args.join(' ')} exited ${result.status}:\n${result.stderr}`);
      return result;
    },
    view: (name) => genidViewOn(parts, name),
  };
}
