/**
 * A damaged host file is refused before anything is written to it: its header, application id
 * and schema version are checked at every open, its pages (`PRAGMA quick_check`) after a process
 * left it without closing it; damage met later is `CORRUPT`, and nothing is written after it.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { hostFile, useTempDir } from './__fixtures__/temp-dir.ts';
import { HostError } from './errors.ts';
import { openHost } from './open-host.ts';
import { currentProcess } from './process-identity.ts';
import { CURRENT_SCHEMA_VERSION, HOST_PAGE_SIZE } from './schema.ts';

const child = fileURLToPath(new URL('./__fixtures__/open-host-child.mjs', import.meta.url));

/** Opens the host file in another process: `opened`, or the HostError's code and message. */
function openElsewhere(path: string, action: 'die' | 'report' | 'read-memory'): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [child, path, action], { encoding: 'utf8' });
}
const tempDir = useTempDir();

function hostError(body: () => unknown): HostError {
  try {
    body();
  } catch (error) {
    if (HostError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a HostError');
}

/** A closed host file with a domain and 64 pages of its memory. */
function hostWithMemory(): { path: string; domid: number } {
  const path = hostFile(tempDir());
  using host = openHost(path);
  host.store.connect(0).write('/data', 'kept');
  const { domid } = host.hypervisor.createDomain({ type: 'hvm' });
  host.hypervisor.writePages(domid, Array.from({ length: 64 }, (_, pfn) => [pfn, new Uint8Array(4096).fill(pfn)] as const));
  return { path, domid };
}

function rewrite(path: string, change: (bytes: Buffer) => void): Buffer {
  const bytes = readFileSync(path);
  change(bytes);
  writeFileSync(path, bytes);
  return bytes;
}

/** Overwrites one leaf page of guest memory in the file; returns the page's number. */
function damageMemoryPage(path: string): number {
  const raw = new Database(path, { readonly: true });
  const pageno = raw.prepare("SELECT pageno FROM dbstat WHERE name = 'memory' AND pagetype = 'overflow' ORDER BY pageno LIMIT 1 OFFSET 3").pluck().get() as number;
  raw.close();
  expect(pageno).toBeGreaterThan(1);
  rewrite(path, (bytes) => bytes.fill(0xa5, (pageno - 1) * HOST_PAGE_SIZE, pageno * HOST_PAGE_SIZE));
  return pageno;
}

/** Whether the page is still as `damageMemoryPage` left it. */
function stillDamaged(path: string, pageno: number): boolean {
  return readFileSync(path)
    .subarray((pageno - 1) * HOST_PAGE_SIZE, pageno * HOST_PAGE_SIZE)
    .every((byte) => byte === 0xa5);
}

/** The open marks beside the host file (`open-marks.ts`). */
const marksOf = (path: string): string[] => {
  const dir = `${realpathSync(path)}.openers`;
  return existsSync(dir) ? readdirSync(dir) : [];
};

function raw(path: string, body: (db: Database.Database) => void): void {
  const db = new Database(path);
  body(db);
  db.close();
}

describe('a host file with a damaged header', () => {
  it.each([
    ['reserved bytes per page', 20, 8],
    ['schema format number', 47, 5],
    ['text encoding', 59, 2],
    ['bytes reserved for expansion', 80, 1],
  ])('%s changed: CORRUPT at open, nothing written', (_what, offset, value) => {
    const { path } = hostWithMemory();
    const bytes = rewrite(path, (file) => file.writeUInt8(value, offset));
    const error = hostError(() => openHost(path));
    expect(error.code).toBe('CORRUPT');
    expect(error.message).toContain('header');
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('cut short inside its header: CORRUPT', () => {
    const { path } = hostWithMemory();
    writeFileSync(path, readFileSync(path).subarray(0, 60));
    expect(hostError(() => openHost(path)).code).toBe('CORRUPT');
    expect(readFileSync(path).length).toBe(60);
  });
});

describe('a host file whose application id or schema version is wrong', () => {
  it('another application id: NOT_A_HOST_FILE, nothing written', () => {
    const { path } = hostWithMemory();
    raw(path, (db) => db.pragma('application_id = 305419896'));
    const bytes = readFileSync(path);
    const error = hostError(() => openHost(path));
    expect(error.code).toBe('NOT_A_HOST_FILE');
    expect(error.message).toContain('application_id 305419896');
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it.each([0, 3, -1])('schema version %i with the tables of the current one: CORRUPT, nothing written', (version) => {
    const { path } = hostWithMemory();
    raw(path, (db) => db.pragma(`user_version = ${version}`));
    const bytes = readFileSync(path);
    const error = hostError(() => openHost(path));
    expect(error.code).toBe('CORRUPT');
    expect(error.message).toContain(`schema version ${version}`);
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it(`the current schema version (${CURRENT_SCHEMA_VERSION}) with a table missing: CORRUPT`, () => {
    const { path } = hostWithMemory();
    raw(path, (db) => db.exec('DROP TABLE userdata'));
    expect(hostError(() => openHost(path)).code).toBe('CORRUPT');
  });
});

describe('a damaged page', () => {
  it('after an unclean close: found by the quick check at open, CORRUPT, and again at the next open', () => {
    const { path } = hostWithMemory();
    const died = openElsewhere(path, 'die');
    expect(died.signal).toBe('SIGKILL');
    const pageno = damageMemoryPage(path);
    const error = hostError(() => openHost(path));
    expect(error.code).toBe('CORRUPT');
    expect(error.message).toContain('quick_check');
    expect(stillDamaged(path, pageno)).toBe(true);
    // The dead process's mark was not taken away: every open checks, and refuses.
    expect(hostError(() => openHost(path)).code).toBe('CORRUPT');
  });

  it('after a clean close: met when read, CORRUPT; nothing is written after it, and the next open checks the file', () => {
    const { path, domid } = hostWithMemory();
    const pageno = damageMemoryPage(path);
    const host = openHost(path);
    expect(host.store.connect(0).readString('/data')).toBe('kept');
    expect(hostError(() => {
      for (let pfn = 0; pfn < 64; pfn += 1) host.hypervisor.readPage(domid, pfn);
    }).code).toBe('CORRUPT');
    expect(hostError(() => host.store.connect(0).write('/data', 'changed')).code).toBe('CORRUPT');
    expect(hostError(() => host.hypervisor.createDomain({ type: 'hvm' })).code).toBe('CORRUPT');
    expect(hostError(() => host.userdata.store(domid, 'xl', new Uint8Array(4))).code).toBe('CORRUPT');
    host.close();
    const raw = new Database(path, { readonly: true });
    expect(Buffer.from(raw.prepare("SELECT value FROM xs_nodes WHERE path = '/data'").pluck().get() as Uint8Array).toString()).toBe('kept');
    expect(raw.prepare('SELECT count(*) FROM domains').pluck().get()).toBe(2);
    expect(raw.prepare('SELECT count(*) FROM userdata').pluck().get()).toBe(0);
    raw.close();
    // This connection's open mark stays, for the next process to see once this one has ended.
    expect(marksOf(path).filter((name) => name.startsWith(`${process.pid}-`))).toHaveLength(1);
    expect(stillDamaged(path, pageno)).toBe(true);
  });

  it('met by a process that then ended: the next process checks the file, and refuses it', () => {
    const { path } = hostWithMemory();
    damageMemoryPage(path);
    expect(openElsewhere(path, 'read-memory').stdout).toBe('read: CORRUPT\nopened\n');
    const next = openElsewhere(path, 'report');
    expect(JSON.parse(next.stdout)).toMatchObject({ code: 'CORRUPT', message: expect.stringContaining('quick_check') });
  });
});

describe('the open marks', () => {
  /** A pid whose process has ended. */
  const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid!;

  it('are files beside the host file, one per open connection, gone at a clean close', () => {
    const { path } = hostWithMemory();
    expect(marksOf(path)).toEqual([]);
    const one = openHost(path);
    const two = openHost(path);
    expect(marksOf(path).filter((name) => name.startsWith(`${process.pid}-`))).toHaveLength(2);
    one.close();
    expect(marksOf(path)).toHaveLength(1);
    two.close();
    expect(marksOf(path)).toEqual([]);
  });

  it('leave a host file that is only read as it was: nothing written, no write-ahead log left', () => {
    const { path, domid } = hostWithMemory();
    const bytes = readFileSync(path);
    const host = openHost(path);
    expect(host.store.connect(0).readString('/data')).toBe('kept');
    expect(host.hypervisor.readPage(domid, 3)).toEqual(new Uint8Array(4096).fill(3));
    expect(new TextDecoder().decode(host.domainTable({ verbose: false, suffix: '' }))).toContain('Domain-0');
    host.close();
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it("of a process that died: the next open checks the file, opens a sound one, and forgets the dead process's mark", () => {
    const { path } = hostWithMemory();
    expect(openElsewhere(path, 'die').signal).toBe('SIGKILL');
    expect(marksOf(path)).toHaveLength(1);
    const host = openHost(path);
    expect(marksOf(path).map((name) => name.split('-')[0])).toEqual([String(process.pid)]);
    host.close();
    expect(marksOf(path)).toEqual([]);
  });

  it('still count as rows of the table openers (where earlier versions kept them): a dead one is an unclean close', () => {
    const { path } = hostWithMemory();
    raw(path, (db) => db.prepare("INSERT INTO openers (token, pid, pid_start) VALUES ('left', ?, '')").run(deadPid()));
    damageMemoryPage(path);
    expect(hostError(() => openHost(path)).message).toContain('quick_check');
    const sound = hostWithMemory().path;
    raw(sound, (db) => db.prepare("INSERT INTO openers (token, pid, pid_start) VALUES ('left', ?, '')").run(deadPid()));
    openHost(sound).close();
    raw(sound, (db) => expect(db.prepare('SELECT count(*) FROM openers').pluck().get()).toBe(0));
  });

  it('still count as rows of the table openers: a live one keeps the change log at a clean close', () => {
    const { path } = hostWithMemory();
    const self = currentProcess();
    raw(path, (db) => db.prepare("INSERT INTO openers (token, pid, pid_start) VALUES ('live', ?, ?)").run(self.pid, self.start));
    const host = openHost(path);
    host.store.connect(0).write('/data', 'again');
    host.close();
    raw(path, (db) => expect(db.prepare('SELECT count(*) FROM xs_changes').pluck().get()).toBeGreaterThan(0));
  });
});
