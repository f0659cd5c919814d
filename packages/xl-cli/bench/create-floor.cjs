/* global Buffer, module, process, require */
// The least the storage of an `xl create` can cost on this runtime, for xl-startup.mjs to set beside
// `xl create`: load better-sqlite3, open the host file, and write the rows one create changed (as
// `rowChanges` below finds them, taken from a real `xl create` on a copy) in one write transaction,
// then close (the checkpoint). No config, checks, xenstore logic, firmware or guest: rows only.
// Usage: node create-floor.cjs <host file> <changes.json>
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS, as xl's own launcher
const Database = require('better-sqlite3');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { readFileSync } = require('node:fs');

/** A column value as JSON holds it: a blob is `{ "blob": "<base64>" }`. */
const valueOf = (value) => (value !== null && typeof value === 'object' ? Buffer.from(value.blob, 'base64') : value);

/**
 * The rows of every table of `db` (SQLite's own tables aside), each as a JSON text of its values, by
 * table; with each table's columns.
 */
function tableRows(db) {
  const tables = new Map();
  for (const name of db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").pluck().all()) {
    const columns = db.prepare(`PRAGMA table_info("${name}")`).all().map((column) => column.name);
    const rows = db.prepare(`SELECT * FROM "${name}"`).raw().all();
    const json = rows.map((row) => JSON.stringify(row.map((value) => (Buffer.isBuffer(value) ? { blob: value.toString('base64') } : value))));
    tables.set(name, { columns, rows: new Set(json) });
  }
  return tables;
}

/**
 * What happened to the rows of each table between two `tableRows`: the rows that went (`removed`)
 * and the rows that came or changed (`written`).
 */
function rowChanges(before, after) {
  const changes = [];
  for (const [table, { columns, rows }] of after) {
    const old = before.get(table)?.rows ?? new Set();
    const removed = [...old].filter((row) => !rows.has(row)).map((row) => JSON.parse(row));
    const written = [...rows].filter((row) => !old.has(row)).map((row) => JSON.parse(row));
    if (removed.length > 0 || written.length > 0) changes.push({ table, columns, removed, written });
  }
  return changes;
}

/** Applies `changes` to `db` in one write transaction (idempotent: a row written again replaces itself). */
function applyChanges(db, changes) {
  db.transaction(() => {
    for (const { table, columns, removed, written } of changes) {
      const quoted = columns.map((column) => `"${column}"`);
      const remove = db.prepare(`DELETE FROM "${table}" WHERE ${quoted.map((column) => `${column} IS ?`).join(' AND ')}`);
      for (const row of removed) remove.run(row.map(valueOf));
      const write = db.prepare(`INSERT OR REPLACE INTO "${table}" (${quoted.join(', ')}) VALUES (${quoted.map(() => '?').join(', ')})`);
      for (const row of written) write.run(row.map(valueOf));
    }
  }).immediate();
}

module.exports = { tableRows, rowChanges };

if (require.main === module) {
  const db = new Database(process.argv[2]);
  db.pragma('synchronous = NORMAL');
  applyChanges(db, JSON.parse(readFileSync(process.argv[3], 'utf8')));
  db.close();
}
