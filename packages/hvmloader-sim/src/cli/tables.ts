/**
 * `hvmloader-sim tables --generation-id <lo:hi> --out <dir>`: runs the firmware on a scratch
 * in-memory domain whose `platform/generation-id` holds the given text (parsed by hvmloader's own
 * strtoll, so malformed values behave as in Xen), then writes each ACPI table as
 * `<signature>.aml`, the RSDP as `rsdp.bin`, the info block as `acpi-info.bin` and every guest
 * page the firmware wrote as `mem-<hex address>.bin`. The directory is filled under a temporary
 * name and renamed at the end, so a failure leaves nothing behind.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  HVM_PARAM_VM_GENERATION_ID_ADDR,
  MemoryHypervisor,
  PLATFORM_ACPI_KEY,
  PLATFORM_GENERATION_ID_KEY,
  XC_PAGE_SIZE,
  createGuestMemory,
  domainPath,
  pfnToAddress,
} from '@xen-genid/xc-params';
import { createMemoryStore } from '@xen-genid/xenstore';
import { HvmloaderError } from '../errors.ts';
import { runFirmware } from '../firmware/hvmloader.ts';
import { XEN_PLATFORM_LAYOUT } from '../firmware/platform-layout.ts';
import { TABLES_USAGE } from './usage.ts';
import type { CliContext } from './context.ts';

const hex = (value: number | bigint): string => `0x${value.toString(16)}`;

function checkOutputDirectory(out: string): void {
  let entries: string[];
  try {
    if (!statSync(out).isDirectory()) throw new HvmloaderError('BAD_INPUT_FILE', `${out} exists and is not a directory`);
    entries = readdirSync(out);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (entries.length > 0) throw new HvmloaderError('BAD_INPUT_FILE', `${out} is not empty; give a new or empty directory`);
}

export async function run(args: readonly string[], context: CliContext): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        'generation-id': { type: 'string' },
        out: { type: 'string' },
        vcpus: { type: 'string', default: '1' },
        'no-acpi': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    context.stderr.write(`hvmloader-sim tables: ${(error as Error).message}\n${TABLES_USAGE}`);
    return 2;
  }
  if (values.help) {
    context.stdout.write(TABLES_USAGE);
    return 0;
  }
  const generationIdText = values['generation-id'];
  const out = values.out;
  const vcpus = Number(values.vcpus);
  const problems: string[] = [];
  if (generationIdText === undefined) problems.push('--generation-id is required');
  if (out === undefined || out === '') problems.push('--out is required');
  if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > 128 || !/^\d+$/.test(values.vcpus)) problems.push(`--vcpus must be 1 to 128, not ${JSON.stringify(values.vcpus)}`);
  if (problems.length > 0 || generationIdText === undefined || out === undefined) {
    context.stderr.write(`${problems.map((problem) => `hvmloader-sim tables: ${problem}\n`).join('')}${TABLES_USAGE}`);
    return 2;
  }
  const target = resolve(out);
  checkOutputDirectory(target);

  // A scratch domain, set up as libxl would: the keys written by dom0, readable by the guest.
  const hypervisor = new MemoryHypervisor();
  const store = createMemoryStore();
  const domid = hypervisor.createDomain({ type: 'hvm', vcpus }).domid;
  const dom0 = store.connect(0);
  const home = domainPath(domid);
  dom0.mkdir(home);
  dom0.setPerms(home, [{ id: domid, access: 'n' }]);
  dom0.write(`${home}/${PLATFORM_GENERATION_ID_KEY}`, generationIdText);
  dom0.write(`${home}/${PLATFORM_ACPI_KEY}`, values['no-acpi'] ? '0' : '1');
  dom0.close();
  const firmware = runFirmware(hypervisor, store, domid);

  const files = new Map<string, Uint8Array>();
  const memory = createGuestMemory(hypervisor, domid);
  const layout = XEN_PLATFORM_LAYOUT;
  if (firmware.tables) {
    const seen = new Map<string, number>();
    for (const table of firmware.tables.tables) {
      const name = table.signature.toLowerCase();
      const count = seen.get(name) ?? 0;
      seen.set(name, count + 1);
      // Two FADTs: revision 1 (for the RSDT) comes first, the XSDT's revision 4 is `facp.aml`.
      const file = name === 'facp' ? (count === 0 ? 'facp-rev1.aml' : 'facp.aml') : `${name}${count ? `-${count + 1}` : ''}.aml`;
      files.set(file, memory.read(BigInt(table.address), table.length));
    }
    files.set('rsdp.bin', memory.read(BigInt(firmware.tables.rsdpAddress), 36));
    files.set('acpi-info.bin', memory.read(BigInt(layout.infoAddress), layout.infoSize));
  }
  for (const pfn of hypervisor.touchedPages(domid)) {
    files.set(`mem-${pfnToAddress(pfn).toString(16).padStart(8, '0')}.bin`, memory.read(pfnToAddress(pfn), XC_PAGE_SIZE));
  }

  const partial = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  rmSync(partial, { recursive: true, force: true });
  try {
    mkdirSync(partial, { recursive: true });
    for (const [name, bytes] of files) writeFileSync(join(partial, name), bytes);
    try {
      rmdirSync(target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    renameSync(partial, target);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    throw new HvmloaderError('BAD_INPUT_FILE', `cannot write ${target}: ${(error as Error).message}`, { cause: error });
  }

  const { low, high } = firmware.generationId;
  const lines = [`${PLATFORM_GENERATION_ID_KEY} "${firmware.generationIdValue}" read by hvmloader as ${low}:${high} (${hex(low)}:${hex(high)})`];
  if (!firmware.tables) {
    lines.push(`${PLATFORM_ACPI_KEY} is 0: no ACPI tables built, HVM param ${HVM_PARAM_VM_GENERATION_ID_ADDR} left at 0`);
  } else {
    for (const table of firmware.tables.tables) lines.push(`  ${table.signature} at ${hex(table.address)}, ${table.length} bytes`);
    lines.push(`  RSDP at ${hex(firmware.tables.rsdpAddress)}, acpi_info at ${hex(layout.infoAddress)}`);
    if (firmware.vmGenerationIdAddress === 0n) lines.push('no generation ID (both words 0): VGIA 0, HVM param 34 = 0, the VGID device reports _STA 0');
    else {
      lines.push(
        `generation ID at ${hex(firmware.vmGenerationIdAddress)} (VGIA at ${hex(layout.infoAddress + 20)}, HVM param ${HVM_PARAM_VM_GENERATION_ID_ADDR} = ${hex(hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR))})`,
      );
    }
  }
  lines.push(`wrote ${files.size} files to ${target}`);
  context.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
