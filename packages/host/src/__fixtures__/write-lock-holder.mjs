/* global process, setTimeout, clearTimeout */
// Holds the write lock of a host file (an open `BEGIN IMMEDIATE` transaction that has written a
// row) until a line arrives on stdin or `limitMs` pass, as a toolstack process in the middle of a
// long write would. Prints `locked` once it holds the lock, then how it let go:
// `released on request` or `released after the limit`.
// argv: <host file> <limitMs>
import { createRequire } from 'node:module';

const [path, limitText] = process.argv.slice(2);
const Database = createRequire(import.meta.url)('better-sqlite3');
const db = new Database(path);
db.exec('BEGIN IMMEDIATE');
db.prepare('UPDATE hv_state SET value = value').run();
process.stdout.write('locked\n');
const release = (how) => {
  db.exec('COMMIT');
  db.close();
  process.stdout.write(`released ${how}\n`);
  process.exit(0);
};
const timer = setTimeout(() => release('after the limit'), Number(limitText));
process.stdin.once('data', () => {
  clearTimeout(timer);
  release('on request');
});
