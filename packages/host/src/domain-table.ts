/**
 * `xl list`'s and `xl vm-list`'s tables of every domain, made by SQLite in one query over the
 * hypervisor's domains and their names in xenstore: list_domains and list_vm in `tools/xl/xl_info.c`,
 * which print each domain with `printf("%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f", ...)` and
 * `printf(LIBXL_UUID_FMT "  %d    %-30s\n", ...)`. SQLite's `printf` is C's here too: widths count
 * bytes, not characters. A host domain is never dying and has no outstanding pages.
 */
import type { SqliteDatabase } from './database.ts';

/** What a listing shows beyond the default columns. */
export interface DomainTableLayout {
  /** `-v`: each domain's uuid and shutdown reason code (`%8x`, `-` while it runs) after its time. */
  readonly verbose: boolean;
  /** The text that ends every line, before its newline (the columns that are the same for every domain). */
  readonly suffix: string;
}

/**
 * Xen's shutdown codes (`SHUTDOWN_*` in `xen/include/public/sched.h`) and the letter list_domains
 * shows for each after the `s`.
 */
const SHUTDOWN_REASONS = [
  ['poweroff', 0, '-'],
  ['reboot', 1, 'r'],
  ['suspend', 2, 's'],
  ['crash', 3, 'c'],
  ['watchdog', 4, 'w'],
  ['soft_reset', 5, 'S'],
] as const;

const reasonCase = (pick: (reason: (typeof SHUTDOWN_REASONS)[number]) => string, otherwise: string): string =>
  `CASE d.shutdown ${SHUTDOWN_REASONS.map((reason) => `WHEN '${reason[0]}' THEN ${pick(reason)}`).join(' ')} ELSE ${otherwise} END`;

/**
 * The six letters: running (Domain-0, where xl runs), blocked (a guest that is neither paused nor
 * shut down idles), paused, shut down with its reason, dying.
 */
const STATE = `CASE WHEN d.shutdown IS NULL THEN (CASE WHEN d.paused <> 0 THEN '--p---' WHEN d.domid = 0 THEN 'r-----' ELSE '-b----' END)
  ELSE (CASE d.paused WHEN 0 THEN '---' ELSE '--p' END) || ${reasonCase((reason) => `'s${reason[2]}'`, "'--'")} || '-' END`;

/**
 * `(float)cpu_time / 1e9` as the nanoseconds are held: rounded to a C float (24 bits, to even), in
 * whole-number arithmetic, then divided as a double.
 */
function floatSeconds(ns: string): string {
  // How many low bits a float drops of a value below 2^bits.
  const rungs = Array.from({ length: 63 - 24 }, (_, index) => `WHEN ${ns} < ${2n ** BigInt(index + 25)} THEN ${index + 1}`);
  const shift = `(CASE WHEN ${ns} < 16777216 THEN 0 ${rungs.join(' ')} ELSE 39 END)`;
  const low = `(${ns} & ((1 << s) - 1))`;
  const half = '((1 << s) >> 1)';
  const rounded = `((${ns} >> s) + (s > 0 AND (${low} > ${half} OR (${low} = ${half} AND ((${ns} >> s) & 1))))) << s`;
  return `(SELECT (${rounded}) / 1e9 FROM (SELECT ${shift} AS s))`;
}

/**
 * `%8.1f` as glibc rounds. SQLite's printf takes an exact tie (a double that is some n + 0.25 or
 * n + 0.75) up; glibc takes it to the even tenth, which is down for n + 0.25 only. Below 2^25 ns a
 * float is within 2 ns of the value, and the time shows as 0.0.
 */
const TIME = `CASE WHEN d.cpu_time_ns < 33554432 THEN '     0.0' ELSE
  (SELECT printf('%8.1f', CASE WHEN v * 4 = CAST(v * 4 AS INTEGER) AND CAST(v * 4 AS INTEGER) % 4 = 1 THEN v - 0.05 ELSE v END)
   FROM (SELECT ${floatSeconds('d.cpu_time_ns')} AS v)) END`;

/**
 * The domain's `/local/domain/<domid>/name`, from the index of names by domid (schema version 13):
 * the path must be the one libxl's `libxl__domid_to_name` reads, the domid in decimal.
 */
const NAME_JOIN = `LEFT JOIN xs_nodes n INDEXED BY xs_nodes_domid_name
  ON CAST(substr(n.path, 15, length(n.path) - 19) AS INTEGER) = d.domid AND n.path GLOB '/local/domain/*/name'
  AND n.path = '/local/domain/' || d.domid || '/name'`;

/** The name as both listings print it: Domain-0's until it is written, `(null)` for a guest without one. */
const NAME = `coalesce(CAST(n.value AS TEXT), CASE d.domid WHEN 0 THEN 'Domain-0' ELSE '(null)' END)`;

const LINE = (verbose: boolean): string =>
  `printf('%-40s %5d %5d %5d     %s  %s', ${NAME},
    d.domid, d.max_mem_kb / 1024, d.vcpus, ${STATE}, ${TIME})` +
  (verbose ? ` || printf(' %s %8s', d.uuid, ${reasonCase((reason) => `'${reason[1].toString(16)}'`, "'-'")})` : '') +
  ` || :suffix || char(10)`;

/** `line` of the domains by domid (the table's own order: `NOT INDEXED`), each with its name as `n.value`. */
const linesOf = (line: string): string => `SELECT CAST(coalesce(group_concat(${line}, ''), '') AS BLOB) FROM domains d NOT INDEXED ${NAME_JOIN}`;

export const tableQuery = (verbose: boolean): string => linesOf(LINE(verbose));

/** `xl vm-list`'s line: the uuid, the domid and the name. */
export const VM_TABLE_QUERY = linesOf(`printf('%s  %d    %-30s', d.uuid, d.domid, ${NAME}) || char(10)`);

/**
 * The table's lines by domid, Domain-0 first, made by one statement (the domains and names of one
 * moment), as the UTF-8 bytes a listing writes: never a JavaScript string, which would be decoded
 * and encoded again on the way out. (At most 32,752 domains: a few megabytes.)
 */
export function domainTable(db: SqliteDatabase, layout: DomainTableLayout): Uint8Array {
  return db.prepare(tableQuery(layout.verbose)).pluck().get({ suffix: layout.suffix }) as Uint8Array;
}

/** `xl vm-list`'s lines by domid, as `domainTable`'s. */
export function vmTable(db: SqliteDatabase): Uint8Array {
  return db.prepare(VM_TABLE_QUERY).pluck().get() as Uint8Array;
}
