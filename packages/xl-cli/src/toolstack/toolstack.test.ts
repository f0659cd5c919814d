import { describe, expect, it } from 'vitest';
import { bufferSource, chunkSource } from '@xen-genid/xl-lib';
import { migrationRune } from '../commands/migrate.ts';
import { formatListRow } from '../commands/list.ts';
import { MIGRATE_PERMISSION_TO_GO, MIGRATE_RECEIVER_BANNER, MIGRATE_RECEIVER_READY, MIGRATE_REPORT, readFixedMessage, readStatusByte } from './migration-protocol.ts';
import { formatHeaderInfo, xlHeaderInfo } from './save-header.ts';

function sink() {
  const out = { text: '' };
  return { out, stream: { write: (chunk: string | Uint8Array) => (out.text += String(chunk)) } };
}

describe("xl's migration rune (main_migrate)", () => {
  const base = { sshCommand: 'ssh', tty: false, verbose: 0, noWait: false, debug: false, paused: false };
  it('execs the ssh command with the host and xl migrate-receive', () => {
    expect(migrationRune('far', base)).toBe('exec ssh far xl migrate-receive');
    expect(migrationRune('far', { ...base, tty: true, verbose: 2, noWait: true, debug: true, paused: true })).toBe(
      'exec ssh far xl -t -vv migrate-receive -e -d -p',
    );
    expect(migrationRune('XEN_GENID_HOST=/b.db', { ...base, sshCommand: 'env' })).toBe('exec env XEN_GENID_HOST=/b.db xl migrate-receive');
  });
  it("with -s '' is the host argument itself", () => {
    expect(migrationRune('xl migrate-receive -p', { ...base, sshCommand: '', paused: true, tty: true })).toBe('xl migrate-receive -p');
  });
});

describe("xl's handshake messages (xl.h)", () => {
  it('are the four strings of xl 4.17, the banner without NUL and the others with it', () => {
    const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1');
    expect(text(MIGRATE_RECEIVER_BANNER)).toBe('xl migration receiver ready, send binary domain data.\n');
    expect(text(MIGRATE_RECEIVER_READY)).toBe('domain received, ready to unpause\0');
    expect(text(MIGRATE_PERMISSION_TO_GO)).toBe('domain is yours, you are cleared to unpause\0');
    expect(text(MIGRATE_REPORT)).toBe('my copy unpause results are as follows\0');
  });

  it('reads a fixed message across chunk boundaries, and reports truncation or other data as xl does', async () => {
    const chunks = [MIGRATE_RECEIVER_READY.subarray(0, 5), MIGRATE_RECEIVER_READY.subarray(5), Uint8Array.of(0)];
    const source = chunkSource((async function* () { yield* chunks; })());
    const err = sink();
    expect(await readFixedMessage(source, MIGRATE_RECEIVER_READY, 'ready message', 'exec ssh far xl migrate-receive', err.stream)).toBe(true);
    expect(await readStatusByte(source, 'status')).toBe(0);
    expect(await readStatusByte(source, 'status')).toBeUndefined();
    expect(await readFixedMessage(source, MIGRATE_REPORT, 'report', undefined, err.stream)).toBe(false);
    expect(err.out.text).toBe('libxl: error: file/stream truncated reading report from migration stream\n');

    const wrong = sink();
    const garbage = bufferSource(new TextEncoder().encode('x'.repeat(MIGRATE_RECEIVER_BANNER.length)));
    expect(await readFixedMessage(garbage, MIGRATE_RECEIVER_BANNER, 'banner', 'R', wrong.stream)).toBe(false);
    expect(wrong.out.text).toBe('migration receiver stream contained unexpected data instead of banner\n(command run was: R )\n');
  });
});

describe('save file header info', () => {
  it('decodes the xl header as xl prints it, and refuses other bytes', () => {
    const header = new Uint8Array(48);
    header.set(new TextEncoder().encode('Xen saved domain, xl format\n \0 \r'));
    const view = new DataView(header.buffer);
    view.setUint32(32, 0x01020304, true);
    view.setUint32(36, 3, true);
    view.setUint32(44, 1040, true);
    const info = xlHeaderInfo(header)!;
    expect(formatHeaderInfo(info)).toBe('0x3/0x0/1040');
    expect(xlHeaderInfo(header.subarray(0, 40))).toBeUndefined();
    expect(xlHeaderInfo(new Uint8Array(48))).toBeUndefined();
  });
});

describe('xl list rows', () => {
  const base = { domid: 7, type: 'hvm', uuid: '0a133075-2106-45f5-b159-9702e4e6af7d', maxMemKb: 65536, vcpus: 2, paused: false, shutdown: null, pendingStart: null, createdAt: 1000, cpuTimeNs: 12_460_000_000 } as const;

  it("use xl's printf layout: %-40s %5d %5lu %5d     state  %8.1f, with CPU time in seconds", () => {
    expect(formatListRow({ ...base, paused: true }, 'vm')).toBe(`${'vm'.padEnd(40)}     7    64     2     --p---      12.5\n`);
    expect(formatListRow({ ...base, domid: 0 }, 'Domain-0')).toBe(`${'Domain-0'.padEnd(40)}     0    64     2     r-----      12.5\n`);
    expect(formatListRow({ ...base, outstandingPages: 512 }, undefined)).toBe(`${'(null)'.padEnd(40)}     7    66     2     -b----      12.5\n`);
    expect(formatListRow({ ...base, shutdown: 'crash', dying: true }, 'vm')).toContain('     ---scd  ');
    expect(formatListRow({ ...base, shutdown: 'poweroff' }, 'vm')).toContain('     ---s--  ');
    expect(formatListRow({ ...base, shutdown: 'soft_reset' }, 'vm')).toContain('     ---sS-  ');
  });

  it('add the uuid, reason code and label (-v), the label (-Z), the cpupool (-c) and the node affinity (-n)', () => {
    const line = `${'vm'.padEnd(40)}     7    64     2     ---sw-      12.5`;
    const watchdog = { ...base, shutdown: 'watchdog' } as const;
    expect(formatListRow(watchdog, 'vm', { verbose: true })).toBe(`${line} ${base.uuid}        4                -\n`);
    expect(formatListRow(base, 'vm', { verbose: true })).toContain(`${base.uuid}        -                -\n`);
    expect(formatListRow(watchdog, 'vm', { context: true })).toBe(`${line}                -\n`);
    expect(formatListRow(watchdog, 'vm', { cpupool: true, numa: true })).toBe(`${line}          Pool-0 all\n`);
  });
});
