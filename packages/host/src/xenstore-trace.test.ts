import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openHost } from './open-host.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'host-trace-'));
  dirs.push(dir);
  return dir;
}

describe('the host xenstore trace file', () => {
  it('appends each changing request as xenstored -T writes it, each connection announced once', () => {
    const dir = scratch();
    const trace = join(dir, 'trace.log');
    const host = openHost(join(dir, 'host.db'), { xenstoreTrace: trace });
    const xs = host.store.connect(0);
    xs.write('/local/domain/1/name', 'hvm1');
    xs.readString('/local/domain/1/name');
    xs.transaction((t) => t.setPerms('/local/domain/1', [{ id: 0, access: 'n' }, { id: 1, access: 'r' }]));
    expect(() => xs.setPerms('/absent/node', [{ id: 0, access: 'n' }])).toThrow();
    host.close();
    const lines = readFileSync(trace, 'utf8').replace(/ \d{8} \d\d:\d\d:\d\d /g, ' <time> ').split('\n');
    const name = `${process.pid}.1`;
    expect(lines).toEqual([
      `CREATE connection ${name}`,
      `IN ${name} <time> WRITE (/local/domain/1/name hvm1)`,
      `IN ${name} <time> TRANSACTION_START ( )`,
      `IN ${name} <time> SET_PERMS (/local/domain/1 n0 r1 )`,
      `IN ${name} <time> TRANSACTION_END (T )`,
      `IN ${name} <time> SET_PERMS (/absent/node n0 )`,
      `OUT ${name} <time> ERROR (ENOENT )`,
      '',
    ]);
  });
});
