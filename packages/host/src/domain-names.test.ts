import { createLibxl, defaultDomainConfig, type Libxl } from '@xen-genid/xl-lib';
import { describe, expect, it } from 'vitest';
import { hostFile, useTempDir } from './__fixtures__/temp-dir.ts';
import { openHost, type Host } from './open-host.ts';

const tempDir = useTempDir();

function config(name: string) {
  const made = defaultDomainConfig('hvm');
  made.createInfo.name = name;
  made.buildInfo.maxMemkb = 65536n;
  made.buildInfo.targetMemkb = 65536n;
  return made;
}

function withLibxls(body: (one: Libxl, two: Libxl) => void): void {
  const path = hostFile(tempDir());
  const hosts: Host[] = [openHost(path), openHost(path)];
  const [one, two] = hosts.map((host) =>
    createLibxl({ hypervisor: host.hypervisor, xenstore: host.store, userdata: host.userdata, names: host.xenstoreBackend }),
  );
  try {
    body(one!, two!);
  } finally {
    one!.close();
    two!.close();
    for (const host of hosts) host.close();
  }
}

describe("libxl over the host's index of domain names", () => {
  it('finds, lists and refuses names that another connection created, renamed or destroyed', () => {
    withLibxls((one, two) => {
      const web = one.createDomain(config('web'), { paused: true });
      expect(two.nameToDomid('web')).toBe(web);
      expect(() => two.createDomain(config('web'), { paused: true })).toThrow('Domain with name "web" already exists.');
      const db = two.createDomain(config('db'), { paused: true });
      expect(one.listDomains().map((info) => [info.domid, info.name])).toEqual([
        [0, 'Domain-0'],
        [web, 'web'],
        [db, 'db'],
      ]);
      expect(() => one.renameDomain(web, 'web', 'db')).toThrow('Domain with name "db" already exists.');
      one.renameDomain(web, 'web', 'www');
      expect(two.nameToDomid('www')).toBe(web);
      expect(() => two.nameToDomid('web')).toThrow('no domain named "web"');
      two.destroyDomain(web);
      expect(() => one.nameToDomid('www')).toThrow('no domain named "www"');
      expect(one.createDomain(config('www'), { paused: true })).toBeGreaterThan(db);
    });
  });
});

describe('the index of domain names read directly', () => {
  it('lists /local/domain/<domid>/name only, whatever the names hold, and no deeper `name` node', () => {
    const host = openHost(hostFile(tempDir()));
    const xs = host.store.connect(0);
    try {
      xs.write('/local/domain/5/name', 'five');
      xs.write('/local/domain/8/name', 'a/b c\u00e9 7/name');
      xs.write('/local/domain/9/name', '');
      xs.write('/local/domain/5/x/name', 'deeper');
      xs.write('/local/domain/6/7/name', 'deeper too');
      xs.write('/local/domain/123456/name', 'domid too long');
      xs.write('/local/domain/abc/name', 'not a domid');
      expect([...host.xenstoreBackend.domainNames()].sort(([a], [b]) => a - b)).toEqual([
        [5, 'five'],
        [8, 'a/b c\u00e9 7/name'],
        [9, ''],
      ]);
      expect(host.xenstoreBackend.domidsNamed('five')).toEqual([5]);
    } finally {
      xs.close();
      host.close();
    }
  });
});
