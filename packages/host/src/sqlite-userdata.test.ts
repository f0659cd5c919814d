import { spawnSync } from 'node:child_process';
import { XlError } from '@xen-genid/xl-lib';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { hostFile, useTempDir } from './__fixtures__/temp-dir.ts';
import { openHost } from './open-host.ts';

const tempDir = useTempDir();
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('userdata on the host file', () => {
  it('stores, replaces, lists and removes blobs, visible to other processes', () => {
    const path = hostFile(tempDir());
    const one = openHost(path);
    const two = openHost(path);
    try {
      one.userdata.store(4, 'libxl-json', bytes('{"c_info":{}}'));
      one.userdata.store(4, 'xl', bytes('name="a"'));
      expect(two.userdata.list(4)).toEqual(['libxl-json', 'xl']);
      expect(new TextDecoder().decode(two.userdata.retrieve(4, 'xl'))).toBe('name="a"');
      two.userdata.store(4, 'xl', bytes('name="b"'));
      expect(new TextDecoder().decode(one.userdata.retrieve(4, 'xl'))).toBe('name="b"');
      one.userdata.store(4, 'xl', new Uint8Array(0));
      expect(two.userdata.retrieve(4, 'xl')).toBeUndefined();
      two.userdata.unlink(4, 'missing');
      two.userdata.destroyAll(4);
      expect(one.userdata.list(4)).toEqual([]);
    } finally {
      one.close();
      two.close();
    }
  });

  it('refuses bad keys as libxl would (XlError INVAL)', () => {
    const host = openHost(hostFile(tempDir()));
    try {
      for (const body of [
        () => host.userdata.store(1, '../x', bytes('x')),
        () => host.userdata.retrieve(-1, 'xl'),
        () => host.userdata.store(1, '', bytes('x')),
      ]) {
        expect(body).toThrow(expect.objectContaining({ code: 'INVAL' }));
        try {
          body();
        } catch (error) {
          expect(XlError.is(error)).toBe(true);
        }
      }
    } finally {
      host.close();
    }
  });
});

describe('recovery of operations a dead process left half done', () => {
  it('removes a domain whose creator died before storing its config, and finishes a dead destroy', () => {
    const path = hostFile(tempDir());
    const host = openHost(path);
    const { hypervisor, userdata } = host;
    const xs = host.store.connect(0);
    const complete = hypervisor.createDomain({ type: 'hvm' });
    xs.write(`/local/domain/${complete.domid}/name`, 'complete');
    userdata.store(complete.domid, 'libxl-json', bytes('{}'));
    const halfBuilt = hypervisor.createDomain({ type: 'hvm' });
    xs.write(`/local/domain/${halfBuilt.domid}/name`, 'half');
    xs.write(`/vm/${halfBuilt.uuid}/name`, 'half');
    const halfDestroyed = hypervisor.createDomain({ type: 'hvm' });
    xs.write(`/local/domain/${halfDestroyed.domid}/name`, 'going');
    userdata.store(halfDestroyed.domid, 'libxl-json', bytes('{}'));
    userdata.store(halfDestroyed.domid, 'xl', bytes('cfg'));
    hypervisor.destroyDomain(halfDestroyed.domid);
    // Hand the open claims to a process that has exited, as if it had been killed.
    host.close();
    const raw = new Database(path);
    raw.prepare('DELETE FROM claims').run();
    const pid = deadPid();
    raw.prepare("INSERT INTO claims (domid, kind, uuid, pid, pid_start) VALUES (?, 'create', ?, ?, '1')").run(halfBuilt.domid, halfBuilt.uuid, pid);
    raw.prepare("INSERT INTO claims (domid, kind, uuid, pid, pid_start) VALUES (?, 'destroy', ?, ?, '1')").run(halfDestroyed.domid, halfDestroyed.uuid, pid);
    raw.close();

    const after = openHost(path);
    try {
      const connection = after.store.connect(0);
      expect(after.hypervisor.listDomains().map((domain) => domain.domid)).toEqual([0, complete.domid]);
      expect(connection.directory('/local/domain')).toEqual([String(complete.domid)]);
      expect(connection.exists(`/vm/${halfBuilt.uuid}`)).toBe(false);
      expect(after.userdata.list(halfDestroyed.domid)).toEqual([]);
      expect(after.userdata.list(complete.domid)).toEqual(['libxl-json']);
      expect(after.recover().removedDomains).toEqual([]);
      expect(after.integrityCheck()).toEqual(['ok']);
      expect(after.hypervisor.createDomain({ type: 'hvm' }).domid).toBe(halfDestroyed.domid + 1);
    } finally {
      after.close();
    }
  });

  it('does not take a xenstore removal for a destroy once the process closes cleanly', () => {
    const path = hostFile(tempDir());
    const first = openHost(path);
    const { domid } = first.hypervisor.createDomain({ type: 'hvm' });
    const xs = first.store.connect(0);
    xs.write(`/local/domain/${domid}/name`, 'kept');
    xs.introduceDomain(domid);
    xs.rm(`/local/domain/${domid}`);
    first.close();
    const second = openHost(path);
    try {
      expect(second.hypervisor.getDomain(domid)).toBeDefined();
      const raw = new Database(path, { readonly: true });
      expect(raw.prepare('SELECT count(*) FROM claims').pluck().get()).toBe(0);
      raw.close();
    } finally {
      second.close();
    }
  });

  it('leaves alone the operations of a live process', () => {
    const path = hostFile(tempDir());
    const creator = openHost(path);
    try {
      const building = creator.hypervisor.createDomain({ type: 'hvm' });
      const other = openHost(path);
      try {
        expect(other.hypervisor.getDomain(building.domid)).toBeDefined();
        expect(other.recover().removedDomains).toEqual([]);
      } finally {
        other.close();
      }
    } finally {
      creator.close();
    }
    // A clean close ends the claim: the domain stays.
    const later = openHost(path);
    try {
      expect(later.hypervisor.listDomains()).toHaveLength(2);
    } finally {
      later.close();
    }
  });
});
