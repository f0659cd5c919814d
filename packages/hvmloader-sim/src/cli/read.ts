/**
 * `hvmloader-sim read <dir | table-file>`: runs the guest side (RSDP scan, tables, AML, `_STA`,
 * `ADDR`, the 16 bytes) over a dump written by `tables` (its `mem-<hex address>.bin` pages), or
 * over one DSDT/SSDT file, optionally with a dump's pages as the rest of guest memory.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pageOffset } from '@xen-genid/xc-params';
import { HvmloaderError } from '../errors.ts';
import { PagedMemory } from '../guest-memory.ts';
import { readVmGenerationId, readVmGenerationIdFromTable, type GenerationIdReading } from '../guest/read-generation-id.ts';
import { READ_USAGE } from './usage.ts';
import type { CliContext } from './context.ts';

const PAGE_FILE = /^mem-([0-9a-f]{1,13})\.bin$/;

/** Guest memory from a dump directory's `mem-<hex address>.bin` files. */
export function loadDumpMemory(dir: string): PagedMemory {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new HvmloaderError('BAD_INPUT_FILE', `cannot read ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const memory = new PagedMemory();
  let pages = 0;
  for (const name of names.sort()) {
    const match = PAGE_FILE.exec(name);
    if (!match) continue;
    const address = BigInt(`0x${match[1] as string}`);
    const bytes = new Uint8Array(readFileSync(join(dir, name)));
    if (pageOffset(address) !== 0 || bytes.length === 0) throw new HvmloaderError('BAD_INPUT_FILE', `${name}: not a page-aligned, non-empty memory dump`);
    memory.write(address, bytes);
    pages += 1;
  }
  if (pages === 0) throw new HvmloaderError('BAD_INPUT_FILE', `${dir} holds no mem-<hex address>.bin files`);
  return memory;
}

/** The reading as JSON: the ID's address as a decimal string, the tables' addresses as numbers (below 2^52). */
function readingToJson(reading: GenerationIdReading): unknown {
  return {
    ...reading,
    bytes: undefined,
    address: reading.address === null ? null : reading.address.toString(10),
    rsdpAddress: reading.rsdpAddress === null ? null : Number(reading.rsdpAddress),
    tables: reading.tables.map((table) => ({ ...table, address: Number(table.address) })),
  };
}

function format(reading: GenerationIdReading): string {
  const lines: string[] = [];
  if (reading.rsdpAddress !== null) lines.push(`rsdp:     0x${reading.rsdpAddress.toString(16)}`);
  if (reading.tables.length > 0) {
    lines.push(`tables:   ${reading.tables.map((table) => `${table.signature}${table.address ? ` 0x${table.address.toString(16)}` : ''} (${table.length})`).join(', ')}`);
  }
  lines.push(`device:   ${reading.path ?? '-'}`);
  lines.push(`address:  ${reading.address === null ? '-' : `0x${reading.address.toString(16)}`}`);
  lines.push(`genid:    ${reading.genid ?? '-'}`);
  for (const failure of reading.failures) lines.push(`failed:   ${failure}`);
  lines.push(`result:   ${reading.ok ? 'read' : 'no ID read'}`);
  return `${lines.join('\n')}\n`;
}

export async function run(args: readonly string[], context: CliContext): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: true,
      options: {
        memory: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    context.stderr.write(`hvmloader-sim read: ${(error as Error).message}\n${READ_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    context.stdout.write(READ_USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    context.stderr.write(`hvmloader-sim read: give exactly one dump directory or table file\n${READ_USAGE}`);
    return 2;
  }
  const path = positionals[0] as string;
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    throw new HvmloaderError('BAD_INPUT_FILE', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  let reading: GenerationIdReading;
  if (isDirectory) {
    if (values.memory !== undefined) {
      context.stderr.write(`hvmloader-sim read: --memory goes with a table file, not a directory\n${READ_USAGE}`);
      return 2;
    }
    reading = readVmGenerationId(loadDumpMemory(path));
  } else {
    const memory = values.memory === undefined ? new PagedMemory() : loadDumpMemory(values.memory);
    reading = readVmGenerationIdFromTable(new Uint8Array(readFileSync(path)), memory);
  }
  if (values.json) {
    context.stdout.write(
      `${JSON.stringify(readingToJson(reading), null, 2)}\n`,
    );
  } else {
    context.stdout.write(format(reading));
  }
  return reading.ok ? 0 : 1;
}
