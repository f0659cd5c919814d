/* global process, require */
// The least a listing of a host file can cost on this runtime, for xl-startup.mjs to set beside
// `xl list`: load better-sqlite3, open the file, read every domain and every name in one query each
// (the cheapest shapes measured: one text cell per row), format one line per domain and write the
// lines out, 512 at a time (joined from an array, as xl's). No freshness checks, recovery, schema check or state letters.
// Usage: node listing-floor.cjs <host file>
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS, as xl's own launcher
const Database = require('better-sqlite3');

const db = new Database(process.argv[2], { readonly: true });
const domains = db
  .prepare("SELECT domid || ' ' || max_mem_kb || ' ' || vcpus || ' ' || cpu_time_ns FROM domains ORDER BY domid")
  .pluck()
  .all();
const names = new Map();
for (const row of db.prepare("SELECT substr(path, 15, length(path) - 19) || '/' || CAST(value AS TEXT) FROM xs_nodes WHERE path GLOB '/local/domain/*/name'").pluck().all()) {
  const slash = row.indexOf('/');
  names.set(Number(row.slice(0, slash)), row.slice(slash + 1));
}
let lines = ['Name                                        ID   Mem VCPUs\tState\tTime(s)\n'];
for (let index = 0; index < domains.length; index += 1) {
  const [domid, maxMemKb, vcpus, cpuTimeNs] = domains[index].split(' ');
  const name = names.get(Number(domid)) ?? 'Domain-0';
  lines.push(`${name.padEnd(40)} ${domid.padStart(5)} ${String(Math.floor(Number(maxMemKb) / 1024)).padStart(5)} ${vcpus.padStart(5)}     -b----  ${(Number(cpuTimeNs) / 1e9).toFixed(1).padStart(8)}\n`);
  if (lines.length === 512) {
    process.stdout.write(lines.join(''));
    lines = [];
  }
}
process.stdout.write(lines.join(''));
db.close();
