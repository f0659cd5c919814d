import { spawnSync } from 'node:child_process';
import { XC_PAGE_SIZE, XcError, type GuestModel } from '@xen-genid/xc-params';
import { describe, expect, it } from 'vitest';
import { hostFile, useTempDir } from './__fixtures__/temp-dir.ts';
import { openHost, type Host } from './open-host.ts';

const tempDir = useTempDir();

function withHosts(count: number, body: (...hosts: Host[]) => void, guestModel?: GuestModel): void {
  const path = hostFile(tempDir());
  const hosts = Array.from({ length: count }, () => openHost(path, guestModel ? { guestModel: () => guestModel } : {}));
  try {
    body(...hosts);
  } finally {
    for (const host of hosts) host.close();
  }
}

function expectXc(code: string, body: () => unknown): void {
  expect(body).toThrow(expect.objectContaining({ code }));
  try {
    body();
  } catch (error) {
    expect(XcError.is(error)).toBe(true);
  }
}

const builtHost = new URL('../dist/index.js', import.meta.url).href;

/** Runs `code` (with `host` open on `path`, over the built package) in another node process, synchronously. */
function inAnotherProcess(path: string, code: string): void {
  const script = `import { openHost } from ${JSON.stringify(builtHost)}; const host = openHost(${JSON.stringify(path)}); ${code}; host.close();`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`the other process failed: ${result.stderr}`);
}

const page = (fill: number): Uint8Array => new Uint8Array(XC_PAGE_SIZE).fill(fill);

describe('SqliteHypervisor', () => {
  it('has Domain-0 and allocates increasing domids from 1', () => {
    withHosts(1, ({ hypervisor }) => {
      expect(hypervisor.listDomains().map((d) => [d.domid, d.type, d.paused])).toEqual([[0, 'pv', false]]);
      const a = hypervisor.createDomain({ type: 'hvm', maxMemKb: 65536, vcpus: 2 });
      const b = hypervisor.createDomain({ type: 'pvh', uuid: '01234567-89ab-cdef-0123-456789abcdef' });
      expect([a.domid, b.domid]).toEqual([1, 2]);
      expect(a).toMatchObject({ type: 'hvm', maxMemKb: 65536, vcpus: 2, paused: true, shutdown: null, pendingStart: 'boot' });
      expect(b.uuid).toBe('01234567-89ab-cdef-0123-456789abcdef');
      hypervisor.destroyDomain(2);
      expect(hypervisor.createDomain({ type: 'hvm' }).domid).toBe(3);
      expect(hypervisor.getDomain(2)).toBeUndefined();
    });
  });

  it('shares one machine between connections: domids stay unique, writes are seen at once', () => {
    withHosts(2, (one, two) => {
      const a = one.hypervisor.createDomain({ type: 'hvm' });
      expect(two.hypervisor.getDomain(a.domid)?.uuid).toBe(a.uuid);
      const b = two.hypervisor.createDomain({ type: 'hvm' });
      expect(b.domid).toBe(a.domid + 1);
      expect(one.hypervisor.readParam(a.domid, 34)).toBe(0n); // now cached in one
      two.hypervisor.writeParam(a.domid, 34, 0xfc00_0000n);
      expect(one.hypervisor.readParam(a.domid, 34)).toBe(0xfc00_0000n);
      two.hypervisor.writeParam(a.domid, 34, (1n << 64n) - 1n);
      expect(one.hypervisor.readParam(a.domid, 34)).toBe((1n << 64n) - 1n);
      one.hypervisor.destroyDomain(b.domid);
      expect(two.hypervisor.getDomain(b.domid)).toBeUndefined();
      expectXc('ESRCH', () => two.hypervisor.readParam(b.domid, 34));
    });
  });

  it("by default, sees another process's commits made before the current synchronous run, and with 'read' at once", async () => {
    const path = hostFile(tempDir());
    const fast = openHost(path);
    const exact = openHost(path, { freshness: 'read' });
    try {
      const { domid } = fast.hypervisor.createDomain({ type: 'hvm' });
      await Promise.resolve();
      expect(fast.hypervisor.readParam(domid, 34)).toBe(0n);
      expect(exact.hypervisor.readParam(domid, 34)).toBe(0n);
      inAnotherProcess(path, `host.hypervisor.writeParam(${domid}, 34, 7n)`);
      expect(fast.hypervisor.readParam(domid, 34)).toBe(0n); // same run: the documented trade-off
      expect(exact.hypervisor.readParam(domid, 34)).toBe(7n);
      fast.hypervisor.writeParam(domid, 35, 1n); // its own writes are always seen
      expect(fast.hypervisor.readParam(domid, 35)).toBe(1n);
      await Promise.resolve();
      expect(fast.hypervisor.readParam(domid, 34)).toBe(7n);
    } finally {
      fast.close();
      exact.close();
    }
  });

  it('a body run atomically reads what another process committed before its transaction began, even in the same run', () => {
    const path = hostFile(tempDir());
    const host = openHost(path);
    try {
      const xs = host.store.connect(0);
      xs.write('/vm/x', '1');
      const { domid } = host.hypervisor.createDomain({ type: 'hvm' });
      expect(xs.readString('/vm/x')).toBe('1'); // cached, checked in this run
      expect(host.hypervisor.readParam(domid, 34)).toBe(0n);
      inAnotherProcess(path, `host.store.connect(0).write('/vm/x', '2'); host.hypervisor.writeParam(${domid}, 34, 7n)`);
      // As a block script picks a free loop device: reads and writes that must not act on what was.
      host.atomically(() => {
        expect(xs.readString('/vm/x')).toBe('2');
        expect(host.hypervisor.readParam(domid, 34)).toBe(7n);
        xs.write('/vm/x', '3');
      });
      expect(xs.readString('/vm/x')).toBe('3');
      // So does a hypervisor write (a guest's start reads its keys inside the unpause).
      inAnotherProcess(path, "host.store.connect(0).write('/vm/x', '4')");
      expect(host.hypervisor.batch(() => xs.readString('/vm/x'))).toBe('4');
    } finally {
      host.close();
    }
  });

  it('a hypervisor write decides on what another process committed before it began, even in the same run', () => {
    const path = hostFile(tempDir());
    const host = openHost(path);
    try {
      const { domid } = host.hypervisor.createDomain({ type: 'hvm' });
      expect(host.hypervisor.getDomain(domid)?.paused).toBe(true); // cached, checked in this run
      inAnotherProcess(path, `host.hypervisor.unpauseDomain(${domid})`);
      // Not unpaused (and its guest started) a second time.
      expectXc('EINVAL', () => host.hypervisor.unpauseDomain(domid));
      expect(host.hypervisor.getDomain(domid)?.paused).toBe(false);
    } finally {
      host.close();
    }
  });

  it("a xenstore transaction that read what another process changed in the same run succeeds on its retry", () => {
    const path = hostFile(tempDir());
    const host = openHost(path);
    try {
      const xs = host.store.connect(0);
      xs.write('/vm/x', '1');
      expect(xs.readString('/vm/x')).toBe('1'); // cached
      inAnotherProcess(path, "host.store.connect(0).write('/vm/x', '2')");
      let attempts = 0;
      xs.transaction((transaction) => {
        attempts += 1;
        transaction.write('/vm/x', `${transaction.readString('/vm/x')}+`);
      }, { attempts: 3 });
      expect(attempts).toBe(2);
      expect(xs.readString('/vm/x')).toBe('2+');
    } finally {
      host.close();
    }
  });

  it('checks arguments as MemoryHypervisor does', () => {
    withHosts(1, ({ hypervisor }) => {
      const { domid } = hypervisor.createDomain({ type: 'hvm' });
      expectXc('EINVAL', () => hypervisor.readParam(domid, 1000));
      expectXc('EINVAL', () => hypervisor.writeParam(domid, 34, -1n));
      expectXc('EINVAL', () => hypervisor.writeParam(domid, 34, 1n << 64n));
      expectXc('EINVAL', () => hypervisor.createDomain({ type: 'hvm', uuid: 'NOT-A-UUID' }));
      expectXc('EINVAL', () => hypervisor.writePage(domid, 0, new Uint8Array(10)));
      expectXc('EINVAL', () => hypervisor.readPage(domid, -1));
      expectXc('EINVAL', () => hypervisor.destroyDomain(0));
      expectXc('EINVAL', () => hypervisor.setGuestRecord(domid, '{not json'));
      expectXc('ESRCH', () => hypervisor.pauseDomain(999));
      expectXc('EINVAL', () => hypervisor.readParam(70000, 1));
      expect(hypervisor.getDomain(999)).toBeUndefined();
    });
  });

  it('runs the guest model on the first unpause, keeps pause state, shutdown and reset', () => {
    const calls: string[] = [];
    const model: GuestModel = {
      boot: (domid) => calls.push(`boot ${domid}`),
      resume: (domid) => calls.push(`resume ${domid}`),
      gpe: (domid, gpe) => calls.push(`gpe ${domid} ${gpe}`),
    };
    withHosts(1, ({ hypervisor }) => {
      const { domid } = hypervisor.createDomain({ type: 'hvm' });
      expectXc('EINVAL', () => hypervisor.raiseGpe(domid, 1));
      hypervisor.unpauseDomain(domid);
      expectXc('EINVAL', () => hypervisor.unpauseDomain(domid));
      hypervisor.raiseGpe(domid, 3);
      hypervisor.pauseDomain(domid);
      hypervisor.setPendingStart(domid, 'resume');
      hypervisor.unpauseDomain(domid);
      expect(calls).toEqual([`boot ${domid}`, `gpe ${domid} 3`, `resume ${domid}`]);
      hypervisor.writeParam(domid, 34, 5n);
      hypervisor.writePage(domid, 9, page(1));
      hypervisor.setGuestRecord(domid, '{"seen":1}');
      hypervisor.shutdownDomain(domid, 'reboot');
      hypervisor.shutdownDomain(domid, 'crash');
      expect(hypervisor.getDomain(domid)?.shutdown).toBe('reboot');
      hypervisor.resetDomain(domid);
      expect(hypervisor.getDomain(domid)).toMatchObject({ paused: true, shutdown: null, pendingStart: 'boot' });
      expect(hypervisor.readParam(domid, 34)).toBe(0n);
      expect(hypervisor.touchedPages(domid)).toEqual([]);
      expect(hypervisor.getGuestRecord(domid)).toBeUndefined();
    }, model);
  });

  it('keeps guest pages sparsely and returns copies', () => {
    withHosts(2, (one, two) => {
      const { domid } = one.hypervisor.createDomain({ type: 'hvm' });
      expect(one.hypervisor.readPage(domid, 5)).toBeUndefined();
      const data = page(7);
      one.hypervisor.writePage(domid, 0xfc000, data);
      one.hypervisor.writePage(domid, 5, page(2));
      data.fill(0);
      const read = two.hypervisor.readPage(domid, 0xfc000)!;
      expect(read).toBeInstanceOf(Uint8Array);
      expect(read.every((byte) => byte === 7)).toBe(true);
      expect(two.hypervisor.touchedPages(domid)).toEqual([5, 0xfc000]);
    });
  });

  it('holds 64 MiB of touched memory, written in one batch', () => {
    withHosts(1, ({ hypervisor, path }) => {
      const { domid } = hypervisor.createDomain({ type: 'hvm', maxMemKb: 65536 });
      const pages = 16384;
      const data = new Uint8Array(XC_PAGE_SIZE);
      hypervisor.writePages(
        domid,
        (function* () {
          for (let pfn = 0; pfn < pages; pfn += 1) {
            new DataView(data.buffer).setUint32(0, pfn, true);
            yield [pfn, data] as const;
          }
        })(),
      );
      const touched = hypervisor.touchedPages(domid);
      expect(touched.length).toBe(pages);
      expect(touched.at(-1)).toBe(pages - 1);
      const other = openHost(path);
      try {
        for (const pfn of [0, 4097, pages - 1]) {
          expect(new DataView(other.hypervisor.readPage(domid, pfn)!.buffer).getUint32(0, true)).toBe(pfn);
        }
        other.hypervisor.destroyDomain(domid);
      } finally {
        other.close();
      }
      expect(hypervisor.getDomain(domid)).toBeUndefined();
    });
  }, 60_000); // 64 MiB written, read by a second connection and destroyed

  it("stores a chunk's frames packed: writes over, between and after stored frames keep the others", () => {
    withHosts(2, (one, two) => {
      const { domid } = one.hypervisor.createDomain({ type: 'hvm' });
      for (const pfn of [33, 35, 47]) one.hypervisor.writePage(domid, pfn, page(pfn));
      one.hypervisor.batch(() => {
        for (const pfn of [32, 35, 40]) one.hypervisor.writePage(domid, pfn, page(pfn + 100));
        // Read inside the transaction: the gathered writes are seen.
        expect(one.hypervisor.readPage(domid, 40)![0]).toBe(140);
        one.hypervisor.writePage(domid, 48, page(48));
      });
      const expected = new Map([[32, 132], [33, 33], [35, 135], [40, 140], [47, 47], [48, 48]]);
      expect(two.hypervisor.touchedPages(domid)).toEqual([...expected.keys()]);
      for (const [pfn, fill] of expected) expect(two.hypervisor.readPage(domid, pfn)!.every((byte) => byte === fill)).toBe(true);
      expect(two.hypervisor.readPage(domid, 34)).toBeUndefined();
    });
  });

  it('drops the page writes of a batch that fails, and of a nested one that fails, with their transaction', () => {
    withHosts(1, ({ hypervisor }) => {
      const { domid } = hypervisor.createDomain({ type: 'hvm' });
      hypervisor.writePage(domid, 1, page(1));
      expect(() =>
        hypervisor.batch(() => {
          hypervisor.writePage(domid, 1, page(2));
          hypervisor.writePage(domid, 2, page(2));
          throw new Error('stop');
        }),
      ).toThrow('stop');
      hypervisor.batch(() => {
        hypervisor.writePage(domid, 3, page(3));
        expect(() =>
          hypervisor.batch(() => {
            hypervisor.writePage(domid, 4, page(4));
            hypervisor.writePage(domid, 3, page(4));
            throw new Error('inner');
          }),
        ).toThrow('inner');
        hypervisor.writePage(domid, 5, page(5));
      });
      expect(hypervisor.touchedPages(domid)).toEqual([1, 3, 5]);
      expect([1, 3, 5].map((pfn) => hypervisor.readPage(domid, pfn)![0])).toEqual([1, 3, 5]);
      expect(() => hypervisor.writePages(domid, [[6, page(6)], [7, new Uint8Array(3)]])).toThrow(XcError);
      expect(() => hypervisor.writePages(99, [[6, page(6)]])).toThrow(/no domain 99/);
      expect(hypervisor.touchedPages(domid)).toEqual([1, 3, 5]);
    });
  });

  it('batch applies all or nothing', () => {
    withHosts(1, ({ hypervisor }) => {
      const { domid } = hypervisor.createDomain({ type: 'hvm' });
      expect(() =>
        hypervisor.batch(() => {
          hypervisor.writeParam(domid, 34, 1n);
          expect(hypervisor.readParam(domid, 34)).toBe(1n);
          hypervisor.writeParam(domid, 9999, 1n);
        }),
      ).toThrow();
      expect(hypervisor.readParam(domid, 34)).toBe(0n);
    });
  });
});
