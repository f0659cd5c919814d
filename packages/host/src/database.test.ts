import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { hostFile, useTempDir } from './__fixtures__/temp-dir.ts';
import { migratedObjects, openDatabase, readHeader } from './database.ts';
import { HostError } from './errors.ts';
import { openHost } from './open-host.ts';
import { CURRENT_SCHEMA_OBJECTS, CURRENT_SCHEMA_VERSION, HOST_APPLICATION_ID } from './schema.ts';

const tempDir = useTempDir();

function expectHostError(code: string, body: () => unknown): HostError {
  try {
    body();
  } catch (error) {
    expect(HostError.is(error)).toBe(true);
    expect((error as HostError).code).toBe(code);
    return error as HostError;
  }
  throw new Error(`expected HostError ${code}`);
}

describe('a new host file created by many processes at once', () => {
  it('reads its header in one snapshot: never tables without the application id', () => {
    const path = hostFile(tempDir());
    // The state a creating process leaves between setting WAL mode and committing its schema.
    const creating = new Database(path);
    creating.pragma('journal_mode = WAL');
    const reader = new Database(path);
    const pragma = reader.pragma.bind(reader);
    let calls = 0;
    // Between this reader's second and third look, another process creates the schema.
    reader.pragma = ((source: string, options?: Database.PragmaOptions) => {
      const result = pragma(source, options);
      calls += 1;
      if (calls === 2) openDatabase(path).close();
      return result;
    }) as typeof reader.pragma;
    try {
      const header = readHeader(reader);
      expect(calls).toBe(2);
      expect(header).toEqual({ version: 0, applicationId: 0, tables: 0, objects: [] });
      expect(readHeader(reader)).toMatchObject({ version: CURRENT_SCHEMA_VERSION, applicationId: HOST_APPLICATION_ID });
    } finally {
      reader.close();
      creating.close();
    }
  });
});

describe('host file', () => {
  it('is created with its parent directories, in WAL mode, at the current schema', () => {
    const path = join(tempDir(), 'a', 'b', 'host.db');
    const db = openDatabase(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(CURRENT_SCHEMA_VERSION);
    expect(db.pragma('application_id', { simple: true })).toBe(HOST_APPLICATION_ID);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
    const again = openDatabase(path);
    expect(again.pragma('user_version', { simple: true })).toBe(CURRENT_SCHEMA_VERSION);
    again.close();
  });

  it('migrates a file of an older schema, keeping its data', () => {
    const path = hostFile(tempDir());
    const old = openDatabase(path, { targetVersion: 1 });
    expect(old.pragma('user_version', { simple: true })).toBe(1);
    old.prepare("INSERT INTO domains (domid, type, uuid, max_mem_kb, vcpus, paused, created_at) VALUES (7, 'hvm', '11111111-2222-3333-4444-555555555555', 1024, 1, 1, 0)").run();
    old.prepare('INSERT INTO params (domid, idx, value) VALUES (7, 34, 4096)').run();
    old.close();
    const host = openHost(path, { recover: false });
    try {
      expect(host.hypervisor.getDomain(7)?.uuid).toBe('11111111-2222-3333-4444-555555555555');
      expect(host.hypervisor.readParam(7, 34)).toBe(4096n);
      const connection = host.store.connect(0);
      connection.write('/local/domain/7/name', 'migrated');
      expect(connection.readString('/local/domain/7/name')).toBe('migrated');
      expect(host.xenstoreBackend.domidsNamed('migrated')).toEqual([7]);
      host.userdata.store(7, 'libxl-json', new Uint8Array([1]));
      expect(host.integrityCheck()).toEqual(['ok']);
    } finally {
      host.close();
    }
  });

  it('migrates a version 3 tree (children inline) to one row per child, keeping their order', () => {
    const path = hostFile(tempDir());
    const old = openDatabase(path, { targetVersion: 3 });
    const node = old.prepare('INSERT INTO xs_nodes (path, value, perms, children, owner, generation) VALUES (?, ?, ?, ?, 0, ?)');
    node.run('/', Buffer.alloc(0), 'n0', 'tool\0vm', 1);
    node.run('/tool', Buffer.alloc(0), 'n0', '', 2);
    node.run('/vm', Buffer.from('v'), 'n0,r3', 'b\0a\0c', 3);
    for (const [name, generation] of [['b', 4], ['a', 5], ['c', 6]] as const) node.run(`/vm/${name}`, Buffer.from(name), 'n0', '', generation);
    old.prepare("UPDATE xs_state SET value = 6 WHERE key = 'generation'").run();
    old.close();
    const host = openHost(path);
    try {
      const xs = host.store.connect(0);
      expect(xs.directory('/')).toEqual(['tool', 'vm']);
      expect(xs.directory('/vm')).toEqual(['b', 'a', 'c']);
      expect(xs.getPerms('/vm')).toEqual([{ id: 0, access: 'n' }, { id: 3, access: 'r' }]);
      xs.write('/vm/d', 'd');
      xs.rm('/vm/a');
      expect(xs.directory('/vm')).toEqual(['b', 'c', 'd']);
      expect(host.integrityCheck()).toEqual(['ok']);
    } finally {
      host.close();
    }
  });

  it('migrates version 8 guest pages (a row per frame) to chunk rows, keeping every frame', () => {
    const path = hostFile(tempDir());
    const old = openDatabase(path, { targetVersion: 8 });
    const domain = old.prepare("INSERT INTO domains (domid, type, uuid, max_mem_kb, vcpus, paused, created_at) VALUES (?, 'hvm', ?, 1024, 1, 1, 0)");
    domain.run(3, '33333333-2222-3333-4444-555555555555');
    domain.run(4, '44444444-2222-3333-4444-555555555555');
    const page = old.prepare('INSERT INTO pages (domid, pfn, data) VALUES (?, ?, ?)');
    // Domain 3: frames 0-17 (a whole chunk and two of the next), one far away; domain 4: one frame.
    const frames = [...Array.from({ length: 18 }, (_, pfn) => pfn), 0xfc000];
    const bytes = (domid: number, pfn: number) => Buffer.alloc(4096, (domid * 31 + pfn) & 0xff);
    for (const pfn of frames) page.run(3, pfn, bytes(3, pfn));
    page.run(4, 17, bytes(4, 17));
    old.close();
    const host = openHost(path, { recover: false });
    try {
      expect(host.hypervisor.touchedPages(3)).toEqual(frames);
      expect(host.hypervisor.touchedPages(4)).toEqual([17]);
      for (const pfn of frames) expect(Buffer.from(host.hypervisor.readPage(3, pfn)!).equals(bytes(3, pfn))).toBe(true);
      expect(Buffer.from(host.hypervisor.readPage(4, 17)!).equals(bytes(4, 17))).toBe(true);
      expect(host.hypervisor.readPage(4, 16)).toBeUndefined();
      expect(host.hypervisor.readPage(3, 18)).toBeUndefined();
      host.hypervisor.writePage(3, 18, new Uint8Array(4096).fill(9));
      expect(host.hypervisor.touchedPages(3)).toEqual([...frames.slice(0, -1), 18, 0xfc000]);
      expect(host.integrityCheck()).toEqual(['ok']);
    } finally {
      host.close();
    }
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'pages'").pluck().get()).toBe(0);
    expect(db.prepare('SELECT domid, chunk, present FROM memory ORDER BY domid, chunk').all()).toEqual([
      { domid: 3, chunk: 0, present: 0xffff },
      { domid: 3, chunk: 1, present: 0b111 },
      { domid: 3, chunk: 0xfc00, present: 1 },
      { domid: 4, chunk: 1, present: 0b10 },
    ]);
    db.close();
  });

  it('refuses a newer schema with a clear error and leaves the file alone', () => {
    const path = hostFile(tempDir());
    openDatabase(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${CURRENT_SCHEMA_VERSION + 1}`);
    raw.close();
    const before = readFileSync(path);
    const error = expectHostError('SCHEMA_TOO_NEW', () => openHost(path));
    expect(error.message).toContain(`schema version ${CURRENT_SCHEMA_VERSION + 1}`);
    expect(error.message).toContain('upgrade @xen-genid/host');
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses a file that is not a database, without writing to it', () => {
    const path = hostFile(tempDir());
    const garbage = Buffer.from('this is not a database, but a user file worth keeping\n'.repeat(200));
    writeFileSync(path, garbage);
    const error = expectHostError('CORRUPT', () => openHost(path));
    expect(error.message).toContain(path);
    expect(readFileSync(path).equals(garbage)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('knows the tables and indexes the migrations make at the current version without running them', () => {
    expect(CURRENT_SCHEMA_OBJECTS.join(',')).toBe(migratedObjects(CURRENT_SCHEMA_VERSION));
  });

  it('refuses a file of the current version without one of its indexes, without writing to it', () => {
    const path = hostFile(tempDir());
    openHost(path).close();
    const other = new Database(path);
    other.exec('DROP INDEX domains_uuid');
    other.close();
    const before = readFileSync(path);
    expect(expectHostError('CORRUPT', () => openHost(path)).message).toContain(`schema version ${CURRENT_SCHEMA_VERSION}`);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses a damaged database', () => {
    const path = hostFile(tempDir());
    const host = openHost(path);
    host.store.connect(0).write('/data', 'x');
    host.close();
    const bytes = readFileSync(path);
    // Keep the 100-byte header, wreck the rest of the first page (the schema table).
    bytes.fill(0xa5, 100, 8192);
    writeFileSync(path, bytes);
    expectHostError('CORRUPT', () => openHost(path));
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it("refuses another application's SQLite database", () => {
    const path = hostFile(tempDir());
    const other = new Database(path);
    other.exec('CREATE TABLE notes (text TEXT)');
    other.close();
    expectHostError('NOT_A_HOST_FILE', () => openHost(path));
  });

  it('fails BUSY after the busy timeout when another process holds the write lock, writing nothing', () => {
    const path = hostFile(tempDir());
    const host = openHost(path, { busyTimeoutMs: 50 });
    const { domid } = host.hypervisor.createDomain({ type: 'hvm' });
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE');
    try {
      expectHostError('BUSY', () => host.hypervisor.writeParam(domid, 34, 1n));
      expectHostError('BUSY', () => host.store.connect(0).write('/vm/x', '1'));
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(host.hypervisor.readParam(domid, 34)).toBe(0n);
    host.hypervisor.writeParam(domid, 34, 2n);
    expect(host.hypervisor.readParam(domid, 34)).toBe(2n);
    host.close();
  });

  it('refuses a directory as a host file', () => {
    const dir = tempDir();
    expectHostError('CANNOT_OPEN', () => openHost(dir));
  });

  it('reports CLOSED after close', () => {
    const host = openHost(hostFile(tempDir()));
    host.close();
    host.close();
    expectHostError('CLOSED', () => host.recover());
  });
});
