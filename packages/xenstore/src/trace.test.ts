import { describe, expect, it } from 'vitest';
import { createMemoryBackend } from './memory-backend.ts';
import { createXenStore } from './store.ts';
import type { XsTraceEntry } from './trace.ts';

function tracedStore() {
  const entries: XsTraceEntry[] = [];
  const store = createXenStore(createMemoryBackend(), { trace: (entry) => entries.push(entry) });
  return { store, entries, lines: () => entries.map((e) => `${e.connection} d${e.domid} t${e.transaction} ${e.operation} ${e.args.join('|')}${e.error ? ` ${e.error}` : ''}`) };
}

describe('the xenstore request trace', () => {
  it('records each changing request in the order it was made, with its connection and transaction', () => {
    const { store, lines } = tracedStore();
    const dom0 = store.connect(0);
    const other = store.connect(0);
    dom0.mkdir('/local/domain/1');
    dom0.setPerms('/local/domain/1', [{ id: 1, access: 'n' }, { id: 0, access: 'r' }]);
    dom0.transaction((t) => {
      t.write('/local/domain/1/name', 'hvm1');
      other.write('/vm/x/name', 'hvm1');
      t.rm('/local/domain/1/name');
    });
    dom0.introduceDomain(1);
    dom0.releaseDomain(1);
    expect(lines()).toEqual([
      '1 d0 t0 MKDIR /local/domain/1',
      '1 d0 t0 SET_PERMS /local/domain/1|n1|r0',
      '1 d0 t1 TRANSACTION_START ',
      '1 d0 t1 WRITE /local/domain/1/name|hvm1',
      '2 d0 t0 WRITE /vm/x/name|hvm1',
      '1 d0 t1 RM /local/domain/1/name',
      '1 d0 t1 TRANSACTION_END T',
      '1 d0 t0 INTRODUCE 1',
      '1 d0 t0 RELEASE 1',
    ]);
  });

  it('records failed requests with their errno, and a transaction that lost its race', () => {
    const { store, lines } = tracedStore();
    const guest = store.connect(3);
    const dom0 = store.connect(0);
    expect(() => guest.write('/local/domain/0/x', 'y')).toThrow();
    const transaction = dom0.transactionStart();
    transaction.write('/a', '1');
    dom0.write('/a', '2');
    expect(() => transaction.commit()).toThrow();
    expect(lines()).toEqual([
      '1 d3 t0 WRITE /local/domain/0/x|y EACCES',
      '2 d0 t1 TRANSACTION_START ',
      '2 d0 t1 WRITE /a|1',
      '2 d0 t0 WRITE /a|2',
      '2 d0 t1 TRANSACTION_END T EAGAIN',
    ]);
  });
});
