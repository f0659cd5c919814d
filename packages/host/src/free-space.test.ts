import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { hostFile, useTempDir } from './__fixtures__/temp-dir.ts';
import { openHost, type Host } from './open-host.ts';

const tempDir = useTempDir();
const PAGE = new Uint8Array(4096).fill(0x5a);
const MiB = 1024 * 1024;
/** Memory kept in the host file however much one write loads (no memory file: `memory-files.test.ts`). */
const IN_FILE = { memoryFileChunks: Number.MAX_SAFE_INTEGER };

/** Fills `pages` 4 KiB guest pages of a new domain, in one write. */
function guestWithMemory(host: Host, pages: number): number {
  const { domid } = host.hypervisor.createDomain({ type: 'hvm' });
  host.hypervisor.writePages(domid, Array.from({ length: pages }, (_, pfn) => [pfn, PAGE] as const));
  return domid;
}

const sizeOf = (path: string) => statSync(path).size;

function autoVacuum(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma('auto_vacuum', { simple: true }) as number;
  } finally {
    db.close();
  }
}

/** The size of a host file at rest (its last connection closed) with nothing in it. */
function emptyHostSize(): number {
  const path = hostFile(tempDir());
  openHost(path).close();
  return sizeOf(path);
}

describe('space of destroyed domains', { timeout: 60_000 }, () => {
  it('goes back to the file system when a domain is destroyed', () => {
    const path = hostFile(tempDir());
    const host = openHost(path, IN_FILE);
    const domid = guestWithMemory(host, 2048); // 8 MiB of guest memory
    host.hypervisor.destroyDomain(domid);
    expect(sizeOf(path)).toBeLessThan(MiB); // shrunk already, while the host is open
    host.close();
    expect(sizeOf(path)).toBeLessThanOrEqual(emptyHostSize() * 1.1);
  });

  it('shrinks the file by the memory of a destroyed domain while another domain keeps more', () => {
    const path = hostFile(tempDir());
    const host = openHost(path, IN_FILE);
    guestWithMemory(host, 3072);
    const small = guestWithMemory(host, 1024);
    host.close(); // checkpointed: the main file holds both domains
    const reopened = openHost(path);
    const before = sizeOf(path);
    reopened.hypervisor.destroyDomain(small);
    reopened.close();
    expect(before - sizeOf(path)).toBeGreaterThan(1024 * 4096);
    expect(sizeOf(path)).toBeGreaterThan(3072 * 4096);
  });

  it('also in a host file made before free pages could be handed back', () => {
    const path = hostFile(tempDir());
    const old = new Database(path);
    old.pragma('page_size = 8192'); // as host files were created: no auto-vacuum
    old.exec('CREATE TABLE placeholder (x)');
    old.exec('DROP TABLE placeholder');
    old.close();
    const host = openHost(path, IN_FILE);
    expect(autoVacuum(path)).toBe(0);
    const domid = guestWithMemory(host, 2048);
    host.hypervisor.destroyDomain(domid);
    host.close();
    expect(sizeOf(path)).toBeLessThan(MiB);
    expect(autoVacuum(path)).toBe(2); // incremental: later destroys need not rewrite the file
  });
});
