import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLibxl, type Libxl } from '../lifecycle/libxl.ts';
import { createSeededRandomSource } from '../random-bytes.ts';
import { migrateDomain } from '../save-restore/migrate.ts';
import { readSaveFile } from '../save-restore/save-file.ts';
import { restoreDomain, saveDomain } from '../save-restore/operations.ts';
import { defaultDomainConfig } from '../types/domain-config.ts';
import { memoryMachine } from '../lifecycle/guest-model.ts';
import { parseGenidHistory, vmGenidHistory, type GenidHistoryEntry } from './history.ts';
import { MsVmGenid } from './ms-vm-genid.ts';
import { renewVmGenid } from './renewal.ts';

const open: Libxl[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const libxl of open.splice(0)) libxl.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function machine(seed: number): Libxl {
  const libxl = createLibxl({ ...memoryMachine(), random: createSeededRandomSource(seed) });
  open.push(libxl);
  return libxl;
}

function create(libxl: Libxl): { domid: number; genid: string } {
  const config = defaultDomainConfig('hvm');
  config.createInfo.name = 'vm';
  config.buildInfo.maxMemkb = 65536n;
  config.buildInfo.targetMemkb = 65536n;
  const genid = MsVmGenid.generate(createSeededRandomSource(99));
  if (config.buildInfo.u.type === 'hvm') config.buildInfo.u.msVmGenid = genid;
  return { domid: libxl.createDomain(config), genid: genid.toHex() };
}

/** Each entry as one short line: kind, what, ID. */
const lines = (entries: readonly GenidHistoryEntry[]): string[] =>
  entries.map((entry) => {
    switch (entry.kind) {
      case 'created':
        return `created ${entry.genid}`;
      case 'lifecycle':
        return `${entry.step} ${entry.operation} ${entry.action} ${entry.genid}`;
      case 'read':
        return `read ${entry.reason} ${entry.genid}`;
      case 'notify':
        return `notify ${entry.notified}`;
    }
  });

describe("the generation ID's timeline", () => {
  it('starts at create with the boot read, and records a renewal, its notify and the read that followed', () => {
    const libxl = machine(1);
    const { domid, genid } = create(libxl);
    expect(lines(vmGenidHistory(libxl, domid))).toEqual([`created ${genid}`, `read boot ${genid}`]);
    const renewed = renewVmGenid(libxl, domid, { kind: 'new' }).genid.toHex();
    expect(lines(vmGenidHistory(libxl, domid))).toEqual([
      `created ${genid}`,
      `read boot ${genid}`,
      `renewed vm-genid-new new-random ${renewed}`,
      'notify true',
      `read notify ${renewed}`,
    ]);
  });

  it('is carried by a save file into the restored domain, and by a migration to another host, with each policy row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xl-lib-history-'));
    dirs.push(dir);
    const here = machine(2);
    const { domid, genid } = create(here);
    const file = join(dir, 'vm.save');
    await saveDomain(here, domid, { file }, { checkpoint: true });
    const carried = parseGenidHistory((await readSaveFile(file)).xl.extras?.genidHistory);
    expect(lines(carried)).toEqual([`created ${genid}`, `read boot ${genid}`, `saved save-checkpoint keep ${genid}`]);
    expect(lines(vmGenidHistory(here, domid)).at(-1)).toBe(`saved save-checkpoint keep ${genid}`);

    const elsewhere = machine(3);
    const restored = await restoreDomain(elsewhere, file);
    const newId = restored.genid.toHex();
    expect(lines(vmGenidHistory(elsewhere, restored.domid))).toEqual([
      ...lines(carried),
      `restored restore new-random ${newId}`,
      `read resume ${newId}`,
      'notify true',
      `read notify ${newId}`,
    ]);

    const far = machine(4);
    const moved = await migrateDomain(elsewhere, restored.domid, far);
    const timeline = lines(vmGenidHistory(far, moved.domid));
    expect(timeline.slice(0, carried.length + 1)).toEqual([...lines(carried), `restored restore new-random ${newId}`]);
    expect(timeline.slice(-3)).toEqual([`sent migrate keep ${newId}`, `received migrate keep ${newId}`, `read resume ${newId}`]);
  });
});
