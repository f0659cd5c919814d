/* global process, require */
// The least a listing of a host file can cost on this runtime, for xl-startup.mjs to set beside
// `xl list`: load better-sqlite3, open the file, make every domain's line in one query (each name
// from the host's index of names by domid, the columns by SQLite's printf) and write its bytes out.
// No freshness checks, recovery, schema check, state letters or glibc rounding.
// Usage: node listing-floor.cjs <host file>
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS, as xl's own launcher
const Database = require('better-sqlite3');

const db = new Database(process.argv[2], { readonly: true });
const table = db
  .prepare(
    `SELECT CAST(group_concat(printf('%-40s %5d %5d %5d     -b----  %8.1f', coalesce(CAST(n.value AS TEXT), '(null)'), d.domid,
       d.max_mem_kb / 1024, d.vcpus, d.cpu_time_ns / 1e9) || char(10), '') AS BLOB)
     FROM domains d NOT INDEXED LEFT JOIN xs_nodes n INDEXED BY xs_nodes_domid_name
       ON CAST(substr(n.path, 15, length(n.path) - 19) AS INTEGER) = d.domid AND n.path GLOB '/local/domain/*/name'`,
  )
  .pluck()
  .get();
process.stdout.write('Name                                        ID   Mem VCPUs\tState\tTime(s)\n');
process.stdout.write(table);
db.close();
