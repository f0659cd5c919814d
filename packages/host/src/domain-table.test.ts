import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { hostFile, useTempDir } from './__fixtures__/temp-dir.ts';
import { VM_TABLE_QUERY, tableQuery } from './domain-table.ts';
import { HostError } from './errors.ts';
import { openHost } from './open-host.ts';

const tempDir = useTempDir();
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe("the host's xl list table", () => {
  it('reads the domains in their own order and each name from the index of names by domid: no scan of xenstore, no sort', () => {
    const path = hostFile(tempDir());
    openHost(path).close();
    const db = new Database(path, { readonly: true });
    try {
      for (const [query, parameters] of [[tableQuery(false), { suffix: '' }], [tableQuery(true), { suffix: '' }], [VM_TABLE_QUERY, {}]] as const) {
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${query}`).all(parameters) as { detail: string }[]).map((row) => row.detail);
        expect(plan.slice(0, 2)).toEqual(['SCAN d', 'SEARCH n USING COVERING INDEX xs_nodes_domid_name (<expr>=?) LEFT-JOIN']);
        // The rest is the CPU time's arithmetic on each domain's own row.
        expect(plan.filter((step) => /xs_nodes|TEMP B-TREE|AUTOMATIC/.test(step))).toHaveLength(1);
      }
    } finally {
      db.close();
    }
  });

  it('lists Domain-0 by its default name on a new host, and every domain created after it', () => {
    const host = openHost(hostFile(tempDir()));
    try {
      expect(text(host.domainTable({ verbose: false, suffix: '' }))).toMatch(/^Domain-0 {32} {5}0 +\d+ +\d+ {5}r----- {7}0\.0\n$/);
      const { domid } = host.hypervisor.createDomain({ type: 'hvm', maxMemKb: 131072, vcpus: 2 });
      const xs = host.store.connect(0);
      xs.write(`/local/domain/${domid}/name`, 'web');
      xs.close();
      const lines = text(host.domainTable({ verbose: true, suffix: ' end' })).split('\n');
      expect(lines[1]).toMatch(new RegExp(`^web {37} +${domid}   128     2     --p---       0\\.0 [0-9a-f-]{36}        - end$`));
      expect(lines).toHaveLength(3);
    } finally {
      host.close();
    }
  });

  it('refuses a closed host', () => {
    const host = openHost(hostFile(tempDir()));
    host.close();
    expect(() => host.domainTable({ verbose: false, suffix: '' })).toThrow(HostError);
  });
});
