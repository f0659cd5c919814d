import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHost, type Host } from '@xen-genid/host';
import { domainPath, type DomainInfo, type ShutdownReason } from '@xen-genid/xc-params';
import { formatListRow, sameOnEveryLine, type ListOptions } from './list.ts';
import { formatVmListRow } from './vm-list.ts';

const REASONS: readonly ShutdownReason[] = ['poweroff', 'reboot', 'suspend', 'crash', 'watchdog', 'soft_reset'];
const GUESTS = 6;
const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** A domain's row and name as a listing reads them. */
interface Shape {
  readonly name: string | undefined;
  readonly maxMemKb: number;
  readonly vcpus: number;
  readonly paused: boolean;
  readonly shutdown: ShutdownReason | null;
  readonly cpuTimeNs: number;
}

// Times that fall on a tie of %.1f (0.25 s, 1.25 s, 12.25 s, 0.75 s), just around the float's
// steps, or anywhere up to 2^53 ns.
const cpuTime = fc.oneof(
  fc.constantFrom(0, 250_000_000, 750_000_000, 1_250_000_000, 12_250_000_000, 33_554_431, 33_554_432, 49_999_999, 150_000_000),
  fc.integer({ min: 0, max: 2 ** 31 }),
  fc.integer({ min: 0, max: 2 ** 53 - 1 }),
  fc.integer({ min: 0, max: 100_000 }).map((tenths) => tenths * 50_000_000 + 1),
);
// Names in any script (C's width counts their UTF-8 bytes), longer than the column too; no NUL.
const name = fc.option(fc.string({ unit: 'grapheme', maxLength: 45 }).filter((text) => !text.includes('\0')), { nil: undefined });
const shape: fc.Arbitrary<Shape> = fc.record({
  name,
  maxMemKb: fc.oneof(fc.integer({ min: 0, max: 1 << 22 }), fc.integer({ min: 0, max: 2 ** 40 })),
  vcpus: fc.integer({ min: 1, max: 512 }),
  paused: fc.boolean(),
  shutdown: fc.option(fc.constantFrom(...REASONS), { nil: null }),
  cpuTimeNs: cpuTime,
});
const layout = fc.record({ verbose: fc.boolean(), context: fc.boolean(), cpupool: fc.boolean(), numa: fc.boolean() });

describe("the host's xl list and vm-list tables (Host.domainTable, Host.vmTable)", () => {
  let dir: string;
  let host: Host;
  let raw: Database.Database;
  let domids: number[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'xl-list-table-'));
    host = openHost(join(dir, 'host.db'));
    domids = Array.from({ length: GUESTS }, () => host.hypervisor.createDomain({ type: 'hvm', maxMemKb: 65536 }).domid);
    raw = new Database(join(dir, 'host.db'));
  });
  afterAll(() => {
    raw.close();
    host.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Gives Domain-0 and the guests these rows and names. */
  function give(shapes: readonly Shape[]): void {
    const xs = host.store.connect(0);
    try {
      [0, ...domids].forEach((domid, index) => {
        const given = shapes[index]!;
        raw
          .prepare('UPDATE domains SET max_mem_kb = ?, vcpus = ?, paused = ?, shutdown = ?, cpu_time_ns = ? WHERE domid = ?')
          .run(given.maxMemKb, given.vcpus, given.paused ? 1 : 0, given.shutdown, given.cpuTimeNs, domid);
        const path = `${domainPath(domid)}/name`;
        if (given.name !== undefined) xs.write(path, given.name);
        else if (xs.tryReadString(path) !== undefined) xs.rm(path);
      });
    } finally {
      xs.close();
    }
  }

  /** Every domain's line as `format` makes it one domain at a time, from the hypervisor and xenstore. */
  function formattedBy(format: (info: DomainInfo, name: string | undefined) => string): string {
    const xs = host.store.connect(0);
    try {
      return host.hypervisor
        .listDomains()
        .map((info) => format(info, xs.tryReadString(`${domainPath(info.domid)}/name`) ?? (info.domid === 0 ? 'Domain-0' : undefined)))
        .join('');
    } finally {
      xs.close();
    }
  }

  const formatted = (options: ListOptions): string => formattedBy((info, name) => formatListRow(info, name, options, 'Pool-0'));
  const formattedVms = (): string => formattedBy(formatVmListRow);

  function table(options: ListOptions): string {
    return decode(host.domainTable({ verbose: options.verbose, suffix: sameOnEveryLine(options, 'Pool-0') }));
  }

  it('makes the lines xl formats, for any names, sizes, states and times', () => {
    fc.assert(
      fc.property(fc.array(shape, { minLength: GUESTS + 1, maxLength: GUESTS + 1 }), layout, (shapes, options) => {
        give(shapes);
        const listOptions = { long: false, ...options };
        expect(table(listOptions)).toBe(formatted(listOptions));
        expect(decode(host.vmTable())).toBe(formattedVms());
      }),
      { numRuns: 300 },
    );
  });

  it("shows only the name at the path libxl reads: not a deeper one's, nor one with leading zeros", () => {
    give(Array.from({ length: GUESTS + 1 }, () => ({ name: undefined, maxMemKb: 65536, vcpus: 1, paused: false, shutdown: null, cpuTimeNs: 0 })));
    const xs = host.store.connect(0);
    const [first, second] = domids as [number, number];
    try {
      xs.write(`${domainPath(first)}/device/name`, 'deeper');
      xs.write(`/local/domain/00${second}/name`, 'zeros');
    } finally {
      xs.close();
    }
    const options = { long: false, verbose: false, context: false, cpupool: false, numa: false };
    const lines = table(options).split('\n');
    expect(lines[0]).toMatch(/^Domain-0 {32} +0 /);
    expect(lines[1]).toMatch(/^\(null\) /);
    expect(lines[2]).toMatch(/^\(null\) /);
    expect(table(options)).toBe(formatted(options));
    expect(decode(host.vmTable())).toBe(formattedVms());
  });
});
