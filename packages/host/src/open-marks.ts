/**
 * The clean-close mark: every connection to a host file records itself (its process and a token)
 * when it opens the file and removes that record when it closes it. A record whose process no longer
 * runs is an unclean close (a kill, a crash, a power cut of the process): only then does the next
 * open run `PRAGMA quick_check` over the whole file, so an ordinary open stays fast. SQLite's own
 * recovery (the write-ahead log) keeps a killed process's file consistent; the check is for the
 * damage a crash of the machine, the disk or a stray writer could leave.
 *
 * A record is an empty file, `<host file>.openers/<pid>-<start>-<token>` (beside the host file's
 * real path, so every opener agrees), not a row of the host file: a connection that only reads (a
 * listing) then writes nothing to the host file, and syncs nothing. Rows of the table `openers`,
 * where versions before this one recorded their connections, still count.
 */
import { mkdirSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomId } from '@xen-genid/xenstore';
import { inTransaction, type SqliteDatabase } from './database.ts';
import { HostError, sqliteCode } from './errors.ts';
import { currentProcess, isAlive, type ProcessIdentity } from './process-identity.ts';

/** This connection's record, for `markClosed`. */
export interface OpenMark {
  readonly dir: string;
  readonly name: string;
}

interface OpenerRow {
  token: string;
  pid: number;
  pid_start: string;
}

/** `PRAGMA quick_check`: `['ok']` for a sound file, else SQLite's list of problems. */
export function quickCheck(db: SqliteDatabase): string[] {
  const rows = db.pragma('quick_check') as Record<string, unknown>[];
  return rows.map((row) => String(Object.values(row)[0]));
}

/** The directory of a host file's open marks. */
function openMarksDirOf(hostFile: string): string {
  return `${realpathSync.native(hostFile)}.openers`;
}

/** The process that made a mark, from its name; undefined for a name not made here. */
function markerOf(name: string): ProcessIdentity | undefined {
  const match = /^(\d+)-(\d*)-[0-9a-f]+$/.exec(name);
  return match ? { pid: Number(match[1]), start: match[2]! } : undefined;
}

/** The marks in `dir` (none when it does not exist), each with the process that made it. */
function marksIn(dir: string): { name: string; marker: ProcessIdentity }[] {
  try {
    return readdirSync(dir).flatMap((name) => {
      const marker = markerOf(name);
      return marker === undefined ? [] : [{ name, marker }];
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Records this connection as having `path` open, after checking the file with `quick_check` when a
 * connection of a process that died left it open (`CORRUPT`, with nothing written or removed, if
 * damaged). Returns the mark `markClosed` takes.
 */
export function markOpen(db: SqliteDatabase, path: string): OpenMark {
  const dir = openMarksDirOf(path);
  const left = marksIn(dir).filter(({ marker }) => !isAlive(marker));
  const leftRows = (db.prepare('SELECT token, pid, pid_start FROM openers').all() as OpenerRow[]).filter(
    (row) => !isAlive({ pid: row.pid, start: row.pid_start }),
  );
  if (left.length > 0 || leftRows.length > 0) {
    let problems: string[];
    try {
      problems = quickCheck(db);
    } catch (error) {
      // A page too damaged to walk stops the check itself.
      const code = sqliteCode(error);
      if (!code?.startsWith('SQLITE_CORRUPT') && code !== 'SQLITE_NOTADB') throw error;
      problems = [(error as Error).message];
    }
    if (problems.length !== 1 || problems[0] !== 'ok') {
      throw new HostError(
        'CORRUPT',
        `host file ${path} was left open by a process that died, and PRAGMA quick_check finds it damaged (${problems.slice(0, 3).join('; ')}); refusing to use it`,
      );
    }
  }
  const self = currentProcess();
  const name = `${self.pid}-${self.start}-${randomId()}`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, name), '', { flag: 'wx', mode: 0o600 });
  // Checked: what the dead processes left is forgotten, once this connection's own mark is there.
  for (const other of left) rmSync(join(dir, other.name), { force: true });
  if (leftRows.length > 0) {
    inTransaction(db, 'immediate', () => {
      const forget = db.prepare('DELETE FROM openers WHERE token = ?');
      for (const row of leftRows) forget.run(row.token);
    });
  }
  return { dir, name };
}

/**
 * Removes this connection's mark: it closed the file cleanly. Returns whether it was the last
 * connection recorded as open (one of a process that died still counts until the next open). Called
 * inside a write transaction, so that no other connection commits between the answer and what the
 * caller does with it.
 */
export function markClosed(db: SqliteDatabase, mark: OpenMark): boolean {
  rmSync(join(mark.dir, mark.name), { force: true });
  return marksIn(mark.dir).length === 0 && db.prepare('SELECT 1 FROM openers LIMIT 1').get() === undefined;
}
