import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XC_PAGE_SIZE } from '@xen-genid/xc-params';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { hostFile, useTempDir } from './__fixtures__/temp-dir.ts';
import { creatorOf, writeAllAt } from './memory-files.ts';
import { HostError } from './errors.ts';
import { openHost, type Host } from './open-host.ts';
import { currentProcess, startTime } from './process-identity.ts';

const tempDir = useTempDir();
const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** Frame `pfn`'s bytes as these tests write them: its number, then a byte of it throughout. */
function frame(pfn: number, salt = 0): Uint8Array {
  const page = new Uint8Array(XC_PAGE_SIZE).fill((pfn + salt) & 0xff);
  new DataView(page.buffer).setUint32(0, pfn, true);
  return page;
}

const pagesOf = (pfns: readonly number[], salt = 0) => pfns.map((pfn) => [pfn, frame(pfn, salt)] as const);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
/** Frames as comparable text (deep equality of thousands of byte arrays is slow). */
const digest = (frames: readonly (Uint8Array | undefined)[]) => frames.map((data) => (data === undefined ? '-' : Buffer.from(data).toString('base64')));
const filesOf = (path: string): string[] => (existsSync(`${path}.memory`) ? readdirSync(`${path}.memory`).sort() : []);

function rows(path: string): { inFile: number; inHost: number; named: string[] } {
  const db = new Database(path, { readonly: true });
  try {
    return {
      inFile: db.prepare('SELECT count(*) FROM memory WHERE at IS NOT NULL').pluck().get() as number,
      inHost: db.prepare('SELECT count(*) FROM memory WHERE at IS NULL').pluck().get() as number,
      named: db.prepare('SELECT name FROM memory_files').pluck().all() as string[],
    };
  } finally {
    db.close();
  }
}

/** A host whose writes of 4 or more chunks (64 frames) of a domain go to a memory file. */
const open = (path: string): Host => openHost(path, { memoryFileChunks: 4 });

describe('guest memory loaded in bulk goes to a file of its own', () => {
  it('holds what was written, read page by page, in batches and into a caller buffer, from any process', () => {
    const path = hostFile(tempDir());
    const host = open(path);
    const { domid } = host.hypervisor.createDomain({ type: 'hvm' });
    host.hypervisor.writePage(domid, 3, frame(3)); // before: stays in the host file, merged below
    const pfns = [...range(0, 200), 1000, 1001, 5000];
    host.hypervisor.writePages(domid, pagesOf(pfns.filter((pfn) => pfn !== 3)));
    const stored = rows(path);
    expect(stored.named).toHaveLength(1);
    expect(filesOf(path)).toEqual(stored.named);
    // 15 chunks: three before the fourth made the file, the rest in it.
    expect(stored).toMatchObject({ inHost: 3, inFile: 12 });
    expect(statSync(join(`${path}.memory`, stored.named[0]!)).size).toBe((pfns.length - 3 * 16) * XC_PAGE_SIZE);
    expect(host.hypervisor.touchedPages(domid)).toEqual(pfns);
    for (const pfn of [0, 3, 17, 199, 1000, 5000]) expect(host.hypervisor.readPage(domid, pfn)).toEqual(frame(pfn));
    expect(host.hypervisor.readPage(domid, 200)).toBeUndefined();
    const asked = [...pfns, 200, 7];
    const expected = asked.map((pfn) => (pfns.includes(pfn) ? frame(pfn) : undefined));
    expect(digest(host.hypervisor.readPages(domid, asked))).toEqual(digest(expected));
    const into = new Uint8Array(asked.length * XC_PAGE_SIZE).fill(0xee);
    const viewed = host.hypervisor.readPages(domid, asked, into);
    expect(digest(viewed)).toEqual(digest(expected));
    expect(viewed[20]!.buffer).toBe(into.buffer);
    expect(into.subarray(20 * XC_PAGE_SIZE, 21 * XC_PAGE_SIZE)).toEqual(frame(20));
    const other = openHost(path);
    expect(digest(other.hypervisor.readPages(domid, asked))).toEqual(digest(expected));
    other.close();
    host.close();
  });

  it('takes later writes into the host file, over the file copy, which stays as written', () => {
    const path = hostFile(tempDir());
    const host = open(path);
    const { domid } = host.hypervisor.createDomain({ type: 'hvm' });
    host.hypervisor.writePages(domid, pagesOf(range(0, 128)));
    const [name] = rows(path).named;
    const before = statSync(join(`${path}.memory`, name!)).size;
    host.hypervisor.writePage(domid, 100, frame(100, 1));
    // A second bulk write: the domain has its file, so the host file takes it.
    host.hypervisor.writePages(domid, pagesOf(range(64, 128), 2));
    expect(rows(path).named).toEqual([name]);
    expect(statSync(join(`${path}.memory`, name!)).size).toBe(before);
    expect(host.hypervisor.readPage(domid, 100)).toEqual(frame(100, 2));
    expect(host.hypervisor.readPage(domid, 63)).toEqual(frame(63));
    expect(host.hypervisor.readPages(domid, range(60, 70))).toEqual([...range(60, 64).map((pfn) => frame(pfn)), ...range(64, 70).map((pfn) => frame(pfn, 2))]);

    host.close();
  });

  it('is read into a buffer a run of whole chunks at a time, a run broken where a chunk is elsewhere', () => {
    const path = hostFile(tempDir());
    const host = open(path);
    const { domid } = host.hypervisor.createDomain({ type: 'hvm' });
    host.hypervisor.writePages(domid, pagesOf(range(0, 256))); // chunks 3-15 in the file, one after the other
    host.hypervisor.writePage(domid, 100, frame(100, 1)); // chunk 6 now in the host file
    const expected = range(0, 256).map((pfn) => frame(pfn, pfn === 100 ? 1 : 0));
    const read = (pfns: number[]) => digest(host.hypervisor.readPages(domid, pfns, new Uint8Array(pfns.length * XC_PAGE_SIZE)));
    expect(read(range(0, 256))).toEqual(digest(expected));
    expect(read([...range(0, 70), ...range(72, 256)])).toEqual(digest([...expected.slice(0, 70), ...expected.slice(72)]));
    expect(read([...range(128, 256), ...range(0, 128)])).toEqual(digest([...expected.slice(128), ...expected.slice(0, 128)]));
    host.close();
  });

  it('keeps what batches of views of one reused buffer held, as a restore hands them', () => {
    const path = hostFile(tempDir());
    const host = open(path);
    const { domid } = host.hypervisor.createDomain({ type: 'hvm' });
    // Frames 8-263 in two batches, each page a view of one buffer (as a restore's batches): chunks
    // 1-15 whole, 16 in part; the second batch's chunks go to the file the first one's made.
    const buffer = new Uint8Array(128 * XC_PAGE_SIZE);
    const batch = (pfns: number[]) =>
      pfns.map((pfn, index) => {
        const view = buffer.subarray(index * XC_PAGE_SIZE, (index + 1) * XC_PAGE_SIZE);
        view.set(frame(pfn));
        return [pfn, view] as const;
      });
    host.hypervisor.batch(() => {
      host.hypervisor.writePages(domid, batch(range(8, 136)));
      // Frame 165 gathered first, then its whole chunk written over it in the same call.
      host.hypervisor.writePages(domid, [[165, frame(165, 9)], ...batch(range(136, 264))]);
      buffer.fill(0); // the caller's buffer, reused: nothing of it is kept
      host.hypervisor.writePage(domid, 200, frame(200, 4)); // after: over the file's copy
    });
    const expected = range(0, 300).map((pfn) => (pfn < 8 || pfn >= 264 ? undefined : frame(pfn, pfn === 200 ? 4 : 0)));
    expect(digest(host.hypervisor.readPages(domid, range(0, 300)))).toEqual(digest(expected));
    expect(host.hypervisor.touchedPages(domid)).toEqual(range(8, 264));
    expect(rows(path).named).toHaveLength(1);
    host.close();
  });

  it('goes with its domain: destroy and reset remove the file; a write that rolls back leaves none', () => {
    const path = hostFile(tempDir());
    const host = open(path);
    const kept = host.hypervisor.createDomain({ type: 'hvm' }).domid;
    host.hypervisor.writePages(kept, pagesOf(range(0, 64)));
    const destroyed = host.hypervisor.createDomain({ type: 'hvm' }).domid;
    host.hypervisor.writePages(destroyed, pagesOf(range(0, 64)));
    const reset = host.hypervisor.createDomain({ type: 'hvm' }).domid;
    host.hypervisor.writePages(reset, pagesOf(range(0, 64)));
    expect(filesOf(path)).toHaveLength(3);
    expect(host.hypervisor.readPage(destroyed, 60)).toEqual(frame(60)); // its file open for reading
    host.hypervisor.destroyDomain(destroyed);
    // Closed as well as removed: no space held by a removed file.
    expect(openFiles().filter((target) => target.endsWith('.mem (deleted)'))).toEqual([]);
    host.hypervisor.resetDomain(reset);
    expect(host.hypervisor.touchedPages(reset)).toEqual([]);
    expect(filesOf(path)).toEqual(rows(path).named);
    expect(filesOf(path)).toHaveLength(1);
    const failing = host.hypervisor.createDomain({ type: 'hvm' }).domid;
    expect(() =>
      host.hypervisor.batch(() => {
        host.hypervisor.writePages(failing, pagesOf(range(0, 256)));
        throw new Error('stop');
      }),
    ).toThrow('stop');
    expect(host.hypervisor.touchedPages(failing)).toEqual([]);
    expect(filesOf(path)).toHaveLength(1);
    // Inside a caller's transaction that rolls back after the write: the file goes at close.
    expect(() =>
      host.atomically(() => {
        host.hypervisor.writePages(failing, pagesOf(range(0, 256)));
        throw new Error('stop');
      }),
    ).toThrow('stop');
    expect(filesOf(path)).toHaveLength(2);
    host.close();
    expect(filesOf(path)).toEqual(rows(path).named);
    expect(filesOf(path)).toHaveLength(1);
  });

  it('is found through another path to the same host file', () => {
    const dir = tempDir();
    const path = hostFile(dir);
    const host = open(path);
    const { domid } = host.hypervisor.createDomain({ type: 'hvm' });
    host.hypervisor.writePages(domid, pagesOf(range(0, 64)));
    host.close();
    symlinkSync(path, join(dir, 'link.db'));
    const linked = openHost(join(dir, 'link.db'));
    expect(linked.hypervisor.readPage(domid, 40)).toEqual(frame(40));
    linked.close();
  });

  it('missing, makes reads of its domain fail as a damaged host (CORRUPT), not as memory never written', () => {
    const path = hostFile(tempDir());
    const host = open(path);
    const { domid } = host.hypervisor.createDomain({ type: 'hvm' });
    host.hypervisor.writePages(domid, pagesOf(range(0, 64)));
    rmSync(`${path}.memory`, { recursive: true });
    let error: unknown;
    try {
      host.hypervisor.readPage(domid, 50); // chunk 3, the first in the file
    } catch (caught) {
      error = caught;
    }
    expect(HostError.is(error) && error.code).toBe('CORRUPT');
    expect((error as Error).message).toContain(`memory file of domain ${domid}`);
    host.close();
  });
});

describe('memory files no domain names', () => {
  it("left by a process killed before its restore committed: removed by the next open, a live process's kept", async () => {
    if (!existsSync(built)) throw new Error(`${built} is missing: build @xen-genid/host first`);
    const path = hostFile(tempDir());
    openHost(path).close();
    const script = `
      const { openHost } = await import(${JSON.stringify(built)});
      const host = openHost(process.argv[1], { memoryFileChunks: 4, crashAt: 'hypervisor.memoryFileSynced' });
      const { domid } = host.hypervisor.createDomain({ type: 'hvm' });
      host.hypervisor.writePages(domid, Array.from({ length: 128 }, (_, pfn) => [pfn, new Uint8Array(4096).fill(1)]));
    `;
    const killed = spawnSync(process.execPath, ['--input-type=module', '-e', script, path], { encoding: 'utf8' });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const [left] = filesOf(path);
    expect(left).toBeDefined();
    expect(statSync(join(`${path}.memory`, left!)).size).toBe((128 - 3 * 16) * XC_PAGE_SIZE);
    // A file of a process still running (as though its transaction were under way) stays.
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      await new Promise((resolve) => sleeper.once('spawn', resolve));
      const running = join(`${path}.memory`, `9-${sleeper.pid}-${startTime(sleeper.pid!)}-0a0b0c.mem`);
      writeFileSync(running, 'x');
      const host = openHost(path);
      expect(host.hypervisor.listDomains().map((domain) => domain.domid)).toEqual([0]);
      expect(filesOf(path)).toEqual([running.split('/').pop()]);
      host.close();
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('are named after the process that made them', () => {
    const self = currentProcess();
    expect(creatorOf(`12-${self.pid}-${self.start}-abcdef.mem`)).toEqual(self);
    expect(creatorOf('12-34--abcdef.mem')).toEqual({ pid: 34, start: '' });
    expect(creatorOf('notes.txt')).toBeUndefined();
  });
});

/** What this process's open file descriptors point at. */
function openFiles(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return [];
    }
  });
}

describe('writeAllAt', () => {
  it('goes on after short writes from the byte each stopped at, and writes each chunk once', () => {
    const file = new Uint8Array(40);
    const chunks = [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5), Uint8Array.of(6, 7, 8, 9)];
    const calls: number[] = [];
    // a kernel that writes at most 4 bytes a call
    const writev = (_fd: number, buffers: readonly ArrayBufferView[], position?: number | null): number => {
      const bytes = Buffer.concat(buffers.map((buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength))).subarray(0, 4);
      file.set(bytes, position ?? 0);
      calls.push(position ?? 0);
      return bytes.length;
    };
    writeAllAt(-1, chunks, 10, writev as never);
    expect([...file.subarray(10, 19)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(calls).toEqual([10, 14, 18]);
    expect([...chunks[0]!]).toEqual([1, 2, 3]);
  });
});
