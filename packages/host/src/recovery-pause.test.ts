/**
 * Domains a dead process left paused: the next `openHost` takes the pause back, and sorts out the
 * two temporary names of a migration (`--migratedaway`, `--incoming`) by which copy of the VM is here.
 */
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { hostFile, useTempDir } from './__fixtures__/temp-dir.ts';
import { openHost, type Host } from './open-host.ts';

const tempDir = useTempDir();
const UUID = '0b6c7e2a-1f3d-4c5b-8a9e-7d6f5e4c3b2a';

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

interface Made {
  readonly name: string;
  readonly paused: boolean;
}

/** Domains of one VM made and named on a new host; the paused ones handed to a dead process. */
function leave(domains: readonly Made[]): { path: string; domids: number[] } {
  const path = hostFile(tempDir());
  const host = openHost(path);
  const xs = host.store.connect(0);
  const domids = domains.map(({ name, paused }) => {
    const { domid } = host.hypervisor.createDomain({ type: 'hvm', uuid: UUID });
    xs.write(`/local/domain/${domid}/name`, name);
    xs.write(`/vm/${UUID}/name`, name);
    host.userdata.store(domid, 'libxl-json', new TextEncoder().encode(`{\n    "c_info": {\n        "name": ${JSON.stringify(name)}\n    }\n}\n`));
    xs.introduceDomain(domid);
    if (!paused) host.hypervisor.unpauseDomain(domid);
    else host.hypervisor.setPendingStart(domid, 'resume');
    return domid;
  });
  host.close();
  const raw = new Database(path);
  raw.prepare('DELETE FROM claims').run();
  const pid = deadPid();
  domains.forEach(({ paused }, index) => {
    if (paused) raw.prepare("INSERT INTO claims (domid, kind, uuid, pid, pid_start) VALUES (?, 'pause', ?, ?, '1')").run(domids[index], UUID, pid);
  });
  raw.close();
  return { path, domids };
}

function state(host: Host): { name: string | undefined; paused: boolean; config: string | undefined }[] {
  const xs = host.store.connect(0);
  return host.hypervisor
    .listDomains()
    .filter((domain) => domain.domid !== 0)
    .map((domain) => {
      const name = xs.tryRead(`/local/domain/${domain.domid}/name`);
      const stored = host.userdata.retrieve(domain.domid, 'libxl-json');
      return {
        name: name === undefined ? undefined : new TextDecoder().decode(name),
        paused: domain.paused,
        config: stored === undefined ? undefined : (JSON.parse(new TextDecoder().decode(stored)) as { c_info: { name: string } }).c_info.name,
      };
    });
}

describe('a pause left by a dead process', () => {
  it('is taken back: the domain runs again', () => {
    const { path } = leave([{ name: 'vm', paused: true }]);
    const host = openHost(path);
    try {
      expect(state(host)).toEqual([{ name: 'vm', paused: false, config: 'vm' }]);
      expect(host.recover()).toEqual({ removedDomains: [], resumedDomains: [] });
    } finally {
      host.close();
    }
  });

  it('a sender copy whose VM already runs here under its name is removed', () => {
    const { path, domids } = leave([
      { name: 'vm--migratedaway', paused: true },
      { name: 'vm', paused: false },
    ]);
    const host = openHost(path);
    try {
      expect(state(host)).toEqual([{ name: 'vm', paused: false, config: 'vm' }]);
      expect(host.hypervisor.getDomain(domids[0]!)).toBeUndefined();
    } finally {
      host.close();
    }
  });

  it('a sender copy alone takes its name back and stays paused for the user to decide', () => {
    const { path } = leave([{ name: 'vm--migratedaway', paused: true }]);
    const host = openHost(path);
    try {
      expect(state(host)).toEqual([{ name: 'vm', paused: true, config: 'vm' }]);
      expect(host.recover().removedDomains).toEqual([]);
    } finally {
      host.close();
    }
  });

  it('a receiver copy goes while the sender copy is here, which takes its name back', () => {
    const { path } = leave([
      { name: 'vm--migratedaway', paused: true },
      { name: 'vm--incoming', paused: true },
    ]);
    const host = openHost(path);
    try {
      expect(state(host)).toEqual([{ name: 'vm', paused: true, config: 'vm' }]);
    } finally {
      host.close();
    }
  });
});
