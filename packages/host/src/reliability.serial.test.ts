/**
 * Many toolstack processes on one host file, and processes killed with SIGKILL at named steps of
 * create, save, restore and destroy: the host must stay consistent and usable.
 * The child processes run `__fixtures__/lifecycle-child.mjs` against the built package.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MsVmGenid, domainConfigFromJsonText } from '@xen-genid/xl-lib';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { hostFile, useTempDir } from './__fixtures__/temp-dir.ts';
import { openHost } from './open-host.ts';

const child = fileURLToPath(new URL('./__fixtures__/lifecycle-child.mjs', import.meta.url));
const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const tempDir = useTempDir();

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: Record<string, unknown>[];
  stderr: string;
}

function runChild(path: string, dir: string, cycles: number, save: boolean, crashAt?: string): Promise<ChildResult> {
  if (!existsSync(built)) throw new Error(`${built} is missing: build @xen-genid/host first`);
  const env = { ...process.env };
  delete env.XEN_GENID_HOST_CRASH_AT;
  if (crashAt) env.XEN_GENID_HOST_CRASH_AT = crashAt;
  const process_ = spawn(process.execPath, [child, path, dir, String(cycles), save ? 'save' : ''], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  process_.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  process_.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => {
    process_.on('close', (code, signal) => {
      const lines = stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ code, signal, lines, stderr });
    });
  });
}

/** Every domain complete (hypervisor, xenstore entries, userdata, introduced, one ID everywhere) or absent. */
function expectConsistent(path: string): number[] {
  const host = openHost(path);
  try {
    expect(host.integrityCheck()).toEqual(['ok']);
    const xs = host.store.connect(0);
    const domains = host.hypervisor.listDomains().filter((domain) => domain.domid !== 0);
    for (const { domid, uuid } of domains) {
      const home = `/local/domain/${domid}`;
      expect(xs.readString(`${home}/vm`)).toBe(`/vm/${uuid}`);
      expect(xs.readString(`/vm/${uuid}/uuid`)).toBe(uuid);
      expect(xs.readString(`/libxl/${domid}/type`)).toBe('hvm');
      expect(host.xenstoreBackend.isDomainIntroduced(domid), `domain ${domid} is introduced`).toBe(true);
      const stored = host.userdata.retrieve(domid, 'libxl-json');
      expect(stored, `domain ${domid} has its config`).toBeDefined();
      const config = domainConfigFromJsonText(new TextDecoder().decode(stored));
      expect(config.createInfo.uuid).toBe(uuid);
      const genid = config.buildInfo.u.type === 'hvm' ? config.buildInfo.u.msVmGenid.toHex() : undefined;
      expect(MsVmGenid.fromXenstore(xs.readString(`${home}/platform/generation-id`)).toHex()).toBe(genid);
      const address = host.hypervisor.readParam(domid, 34);
      if (address !== 0n) {
        const page = host.hypervisor.readPage(domid, Number(address / 4096n))!;
        const offset = Number(address % 4096n);
        expect(MsVmGenid.fromBytes(page.subarray(offset, offset + 16)).toHex()).toBe(genid);
      }
    }
    const live = new Set(domains.map((domain) => domain.domid));
    const uuids = new Set(domains.map((domain) => domain.uuid));
    for (const name of xs.exists('/local/domain') ? xs.directory('/local/domain') : []) expect(name === '0' || live.has(Number(name))).toBe(true);
    for (const name of xs.exists('/libxl') ? xs.directory('/libxl') : []) expect(live.has(Number(name))).toBe(true);
    for (const name of xs.exists('/vm') ? xs.directory('/vm') : []) expect(uuids.has(name) || name === '00000000-0000-0000-0000-000000000000').toBe(true);
  } finally {
    host.close();
  }
  const raw = new Database(path, { readonly: true });
  try {
    const orphans = raw
      .prepare('SELECT DISTINCT domid FROM userdata WHERE domid NOT IN (SELECT domid FROM domains)')
      .pluck()
      .all();
    expect(orphans).toEqual([]);
    expect(raw.prepare('SELECT count(*) FROM claims').pluck().get()).toBe(0);
    return raw.prepare('SELECT domid FROM domains WHERE domid != 0').pluck().all() as number[];
  } finally {
    raw.close();
  }
}

describe('host file under many processes', () => {
  it('32 processes creating, saving, restoring and destroying at once', async () => {
    const dir = tempDir();
    const path = hostFile(dir);
    // No file yet: the processes race to create it and its schema too.
    const results = await Promise.all(Array.from({ length: 32 }, () => runChild(path, dir, 1, true)));
    const domids: number[] = [];
    for (const result of results) {
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.lines.at(-1)).toMatchObject({ done: true });
      const own: number[] = [];
      for (const line of result.lines) {
        if (typeof line.created === 'number') own.push(line.created);
        if (typeof line.restored === 'number') own.push(line.restored);
      }
      // Each process sees its domids increase (the rover only moves forward).
      expect(own).toEqual([...own].sort((left, right) => left - right));
      domids.push(...own);
    }
    expect(domids).toHaveLength(32 * 2);
    expect(new Set(domids).size).toBe(domids.length);
    expect(expectConsistent(path)).toEqual([]);
  }, 120_000);
});

/**
 * Steps of one create → save → restore → destroy cycle through xl-lib's libxl context. Every
 * xenstore request outside a transaction commits on its own, so the `xenstore.commit(ted)#N` counts
 * follow the requests of that cycle on a fresh host (list them with `XEN_GENID_HOST_TRACE_STEPS=1`):
 * Domain-0's stub config (the first `libxl-json` store) and entries (1-4), the create's skeleton transaction (5), `dm-version` (6), the
 * generation ID (7), build_post (8), the devices and the device model (9-33), the save's destroy
 * removing the domain's entries in one transaction (34) and releasing it (35), the restore's
 * skeleton (36), and after the restored guest's devices the final destroy's removal (65).
 */
const CRASH_STEPS = [
  // the first libxl context: xen-init-dom0's stub config for Domain-0
  'userdata.store.libxl-json',
  // create
  'hypervisor.createDomain',
  'xenstore.commit#5',
  'xenstore.committed#5',
  'userdata.store.libxl-json#2',
  'xenstore.committed#8',
  'create.done',
  // save
  'save.image-written',
  'xenstore.committed#34',
  'xenstore.committed#35',
  'hypervisor.destroyDomain',
  'save.destroyed',
  // restore
  'hypervisor.createDomain#2',
  'xenstore.commit#36',
  'restore.memory-loaded',
  'userdata.store.libxl-json#3',
  // the final destroy
  'xenstore.committed#65',
  'hypervisor.destroyDomain#2',
];

describe('host file after a process is killed mid-operation', () => {
  it.each(CRASH_STEPS)('SIGKILL at %s: the host opens consistent and the next operation works', async (step) => {
    const dir = tempDir();
    const path = hostFile(dir);
    const killed = await runChild(path, dir, 1, true, step);
    expect(killed.signal).toBe('SIGKILL');
    expectConsistent(path);
    const next = await runChild(path, dir, 1, true);
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    expectConsistent(path);
  }, 30_000);
});
