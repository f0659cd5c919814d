/**
 * The clean-close mark: every connection to a host file records itself (its process and a token)
 * when it opens the file and removes that record when it closes it. A record whose process no longer
 * runs is an unclean close (a kill, a crash, a power cut of the process): only then does the next
 * open run `PRAGMA quick_check` over the whole file, so an ordinary open stays fast. SQLite's own
 * recovery (the write-ahead log) keeps a killed process's file consistent; the check is for the
 * damage a crash of the machine, the disk or a stray writer could leave.
 */
import { randomId } from '@xen-genid/xenstore';
import { inTransaction, type SqliteDatabase } from './database.ts';
import { HostError, sqliteCode } from './errors.ts';
import { currentProcess, isAlive } from './process-identity.ts';

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

/**
 * Records this connection as having `path` open, after checking the file with `quick_check` when a
 * connection of a process that died left it open (`CORRUPT`, with nothing written, if damaged).
 * Returns the token `markClosed` takes.
 */
export function markOpen(db: SqliteDatabase, path: string): string {
  const left = (db.prepare('SELECT token, pid, pid_start FROM openers').all() as OpenerRow[]).filter(
    (row) => !isAlive({ pid: row.pid, start: row.pid_start }),
  );
  if (left.length > 0) {
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
  const token = randomId();
  const self = currentProcess();
  inTransaction(db, 'immediate', () => {
    const forget = db.prepare('DELETE FROM openers WHERE token = ?');
    for (const row of left) forget.run(row.token);
    db.prepare('INSERT INTO openers (token, pid, pid_start) VALUES (?, ?, ?)').run(token, self.pid, self.start);
  });
  return token;
}

/**
 * Removes this connection's record: it closed the file cleanly. Returns whether it was the last
 * connection recorded as open (one of a process that died still counts until the next open).
 */
export function markClosed(db: SqliteDatabase, token: string): boolean {
  db.prepare('DELETE FROM openers WHERE token = ?').run(token);
  return db.prepare('SELECT 1 FROM openers LIMIT 1').get() === undefined;
}
