import type Database from 'better-sqlite3';
import { XC_PAGE_SIZE, xenBootLog } from '@xen-genid/xc-params';
import { PAGES_PER_CHUNK, chunkOf, mergeChunk, slotOf } from './memory-chunks.ts';

/**
 * The host file's schema, as a list of migrations. `PRAGMA user_version` holds how many have been
 * applied; `PRAGMA application_id` marks the file as a host file. A migration is only ever
 * appended, never edited, once released.
 */

/** `PRAGMA application_id` of a host file: "XGNH" (xen-genid host). */
export const HOST_APPLICATION_ID = 0x58474e48;

/**
 * Database page size chosen at creation (files made before schema version 9 kept a 4 KiB guest page
 * in one leaf cell of it; guest memory now goes in 64 KiB chunk rows that fill whole pages).
 */
export const HOST_PAGE_SIZE = 8192;

export interface Migration {
  /** The `user_version` once applied. */
  readonly version: number;
  readonly description: string;
  readonly sql: string;
  /** Data moves SQL alone cannot express, run after `sql` in the same transaction. */
  readonly run?: (db: Database.Database) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'hypervisor: domains, HVM params, guest pages, the domid allocator, operation claims',
    sql: `
      CREATE TABLE hv_state (
        key TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE domains (
        domid INTEGER PRIMARY KEY,
        type TEXT NOT NULL,
        uuid TEXT NOT NULL,
        max_mem_kb INTEGER NOT NULL,
        vcpus INTEGER NOT NULL,
        paused INTEGER NOT NULL,
        shutdown TEXT,
        pending_start TEXT,
        created_at INTEGER NOT NULL,
        guest_record TEXT
      );
      CREATE TABLE params (
        domid INTEGER NOT NULL REFERENCES domains (domid) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        value INTEGER NOT NULL,
        PRIMARY KEY (domid, idx)
      ) WITHOUT ROWID;
      CREATE TABLE pages (
        domid INTEGER NOT NULL REFERENCES domains (domid) ON DELETE CASCADE,
        pfn INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (domid, pfn)
      );
      CREATE TABLE claims (
        domid INTEGER NOT NULL,
        kind TEXT NOT NULL,
        uuid TEXT NOT NULL,
        pid INTEGER NOT NULL,
        pid_start TEXT NOT NULL,
        PRIMARY KEY (domid, kind)
      ) WITHOUT ROWID;
      INSERT INTO hv_state (key, value) VALUES ('domid_rover', 0);
      INSERT INTO domains (domid, type, uuid, max_mem_kb, vcpus, paused, shutdown, pending_start, created_at)
        VALUES (0, 'pv', '00000000-0000-0000-0000-000000000000', 4194304, 2, 0, NULL, NULL, CAST(unixepoch('subsec') * 1000 AS INTEGER));
    `,
  },
  {
    version: 2,
    description: 'xenstore: nodes with generations, introduced domains, the change log for watches',
    sql: `
      CREATE TABLE xs_nodes (
        path TEXT PRIMARY KEY,
        value BLOB NOT NULL,
        perms TEXT NOT NULL,
        children TEXT NOT NULL,
        owner INTEGER NOT NULL,
        generation INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX xs_nodes_owner ON xs_nodes (owner);
      CREATE TABLE xs_state (
        key TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO xs_state (key, value) VALUES ('generation', 0);
      CREATE TABLE xs_introduced (
        domid INTEGER PRIMARY KEY
      );
      CREATE TABLE xs_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        origin TEXT NOT NULL,
        path TEXT NOT NULL,
        exact INTEGER NOT NULL,
        readers TEXT NOT NULL,
        at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 3,
    description: "libxl userdata: each domain's stored blobs by userid",
    sql: `
      CREATE TABLE userdata (
        domid INTEGER NOT NULL,
        userid TEXT NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (domid, userid)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    description: 'xenstore children one row each (a parent with 10,000 children is not rewritten per child); domains by uuid',
    sql: `
      CREATE TABLE xs_children (
        parent TEXT NOT NULL,
        seq INTEGER NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (parent, seq)
      ) WITHOUT ROWID;
      CREATE UNIQUE INDEX xs_children_name ON xs_children (parent, name);
      ALTER TABLE xs_nodes ADD COLUMN child_count INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX domains_uuid ON domains (uuid);
    `,
    run(db) {
      const insert = db.prepare('INSERT INTO xs_children (parent, seq, name) VALUES (?, ?, ?)');
      const count = db.prepare('UPDATE xs_nodes SET child_count = ? WHERE path = ?');
      const rows = db.prepare("SELECT path, children FROM xs_nodes WHERE children != ''").all() as { path: string; children: string }[];
      for (const { path, children } of rows) {
        const names = children.split('\0');
        names.forEach((name, index) => insert.run(path, index + 1, name));
        count.run(names.length, path);
      }
      db.exec('ALTER TABLE xs_nodes DROP COLUMN children');
    },
  },
  {
    version: 5,
    description: 'domains by name (the value of /local/domain/<domid>/name); the change log by age',
    sql: `
      CREATE INDEX xs_nodes_domain_name ON xs_nodes (value) WHERE path GLOB '/local/domain/*/name';
      CREATE INDEX xs_changes_at ON xs_changes (at);
    `,
  },
  {
    version: 6,
    description: 'the connections that have the file open: a row left by a process that died is an unclean close',
    sql: `
      CREATE TABLE openers (
        token TEXT PRIMARY KEY,
        pid INTEGER NOT NULL,
        pid_start TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 7,
    description: "each domain's CPU time (XEN_DOMCTL_getdomaininfo's cpu_time, in nanoseconds)",
    sql: `
      ALTER TABLE domains ADD COLUMN cpu_time_ns INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 8,
    description: "each domain's console output: the last bytes its guest wrote, and where they start",
    sql: `
      CREATE TABLE consoles (
        domid INTEGER PRIMARY KEY REFERENCES domains (domid) ON DELETE CASCADE,
        start INTEGER NOT NULL,
        data BLOB NOT NULL
      );
    `,
  },
  {
    version: 9,
    description: 'guest memory in chunks of 16 frames, one row each (bulk save and restore, no 8 KiB page per 4 KiB frame)',
    sql: `
      CREATE TABLE memory (
        domid INTEGER NOT NULL REFERENCES domains (domid) ON DELETE CASCADE,
        chunk INTEGER NOT NULL,
        present INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (domid, chunk)
      );
    `,
    run(db) {
      const insert = db.prepare('INSERT INTO memory (domid, chunk, present, data) VALUES (?, ?, ?, ?)');
      const frames = new Uint8Array(PAGES_PER_CHUNK * XC_PAGE_SIZE);
      let current: { domid: number; chunk: number; written: number } | undefined;
      const store = (): void => {
        if (current === undefined) return;
        const { present, data } = mergeChunk(undefined, current.written, frames);
        insert.run(current.domid, current.chunk, present, data);
      };
      // A batch at a time: the connection runs no other statement while one is being iterated.
      const batch = db.prepare('SELECT domid, pfn, data FROM pages WHERE (domid, pfn) > (?, ?) ORDER BY domid, pfn LIMIT 1024');
      let after: [number, number] = [-1, -1];
      for (;;) {
        const rows = batch.all(...after) as { domid: number; pfn: number; data: Buffer }[];
        if (rows.length === 0) break;
        for (const { domid, pfn, data } of rows) {
          const chunk = chunkOf(pfn);
          if (current?.domid !== domid || current.chunk !== chunk) {
            store();
            current = { domid, chunk, written: 0 };
          }
          frames.set(data.subarray(0, XC_PAGE_SIZE), slotOf(pfn) * XC_PAGE_SIZE);
          current.written |= 1 << slotOf(pfn);
          after = [domid, pfn];
        }
      }
      store();
      db.exec('DROP TABLE pages');
    },
  },
  {
    version: 10,
    description: "each domain's credit2 scheduler parameters (XEN_DOMCTL_SCHEDOP_getinfo's weight and cap)",
    sql: `
      ALTER TABLE domains ADD COLUMN sched_weight INTEGER NOT NULL DEFAULT 256;
      ALTER TABLE domains ADD COLUMN sched_cap INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 11,
    description: "Xen's own console ring (conring): what the hypervisor printed since the machine booted",
    sql: `
      CREATE TABLE xen_console (
        id INTEGER PRIMARY KEY CHECK (id = 0),
        start INTEGER NOT NULL,
        data BLOB NOT NULL
      );
    `,
    run(db) {
      // The machine boots when its file is made (or, for an older file, now).
      db.prepare('INSERT INTO xen_console (id, start, data) VALUES (0, 0, ?)').run(Buffer.from(xenBootLog(), 'utf8'));
    },
  },
  {
    version: 12,
    description: "guest memory loaded in bulk kept in a file of the domain's own beside the host file (memory-files.ts)",
    sql: `
      CREATE TABLE memory_files (
        domid INTEGER PRIMARY KEY REFERENCES domains (domid) ON DELETE CASCADE,
        name TEXT NOT NULL
      );
      -- Where a chunk's bytes are in its domain's memory file; NULL: in data.
      ALTER TABLE memory ADD COLUMN at INTEGER;
    `,
  },
  {
    version: 13,
    description: "domains' names by domid, with the name in the index: `xl list`'s names without reading xs_nodes (domain-table.ts)",
    sql: `
      CREATE INDEX xs_nodes_domid_name ON xs_nodes (CAST(substr(path, 15, length(path) - 19) AS INTEGER), value)
        WHERE path GLOB '/local/domain/*/name';
    `,
  },
];

export const CURRENT_SCHEMA_VERSION = MIGRATIONS.length;

/**
 * The tables and indexes of a file at `CURRENT_SCHEMA_VERSION`, as `<type> <name>` in SQLite's
 * order: what the migrations make (a test runs them to check it), so that opening a current file
 * compares its schema with this list instead of running every migration in a scratch database.
 */
export const CURRENT_SCHEMA_OBJECTS: readonly string[] = [
  'index domains_uuid',
  'index xs_changes_at',
  'index xs_children_name',
  'index xs_nodes_domain_name',
  'index xs_nodes_domid_name',
  'index xs_nodes_owner',
  'table claims',
  'table consoles',
  'table domains',
  'table hv_state',
  'table memory',
  'table memory_files',
  'table openers',
  'table params',
  'table userdata',
  'table xen_console',
  'table xs_changes',
  'table xs_children',
  'table xs_introduced',
  'table xs_nodes',
  'table xs_state',
];
