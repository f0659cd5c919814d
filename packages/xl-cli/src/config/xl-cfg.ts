/**
 * The parsed form of an xl.cfg file, as libxlutil keeps it (`XLU_Config`, `XLU_ConfigSetting`,
 * `XLU_ConfigValue` in tools/libs/util/libxlu_internal.h).
 *
 * Strings are kept internally as byte strings (one char per byte, 0-255), exactly as libxlutil
 * sees the file; getters decode them according to the config's `encoding`.
 */

/** A single value: a quoted string or a NUMBER token, indistinguishable after parsing. */
export interface XlCfgString {
  readonly type: 'string';
  /** The bytes, one char per byte, cut at the first NUL as a C string would be. */
  readonly bytes: string;
  /** `loc.first_line` of the value, as used by libxlutil's value warnings. */
  readonly line: number;
}

/** A list value: items are strings or (since Xen 4.6) nested lists. */
export interface XlCfgList {
  readonly type: 'list';
  readonly items: XlCfgValue[];
  /** `loc.first_line`: the line of the first item, or of the token after `[` for an empty list. */
  readonly line: number;
}

export type XlCfgValue = XlCfgString | XlCfgList;

/** `XLU_Operation`: how a setting was written. */
export type XlCfgOperation = 'assign' | 'add';

/** One `name = value` (or `name += value`) statement. */
export interface XlCfgSetting {
  readonly name: string;
  readonly value: XlCfgValue;
  readonly op: XlCfgOperation;
  /** The line of the value's first token (the `[` for a list). */
  readonly line: number;
}

/**
 * How strings are turned into JavaScript strings: `utf8` decodes bytes as UTF-8 (invalid
 * sequences become U+FFFD); `latin1` gives one char per byte, byte-exact.
 */
export type XlCfgEncoding = 'utf8' | 'latin1';

/** The parsed configuration (`XLU_Config`). */
export interface XlCfg {
  /** `config_source`: the name used in every message (xl: the config file path as given). */
  readonly source: string;
  readonly encoding: XlCfgEncoding;
  /** Every setting stored, in file order; later ones shadow earlier ones of the same name. */
  readonly settings: readonly XlCfgSetting[];
  /** The setting a lookup of `name` finds (the last one stored), or undefined. */
  find(name: string): XlCfgSetting | undefined;
}

/** One line that libxlutil writes to its report stream (stderr under xl), without the newline. */
export interface XlCfgDiagnostic {
  readonly severity: 'error' | 'warning';
  /** The line number printed in the message, when it has one. */
  readonly line?: number;
  /** The whole line, exactly as libxlutil prints it. */
  readonly message: string;
  /** Printed without a newline (the next message continues the line), as a few of xl's are. */
  readonly unterminated?: boolean;
}

/** errno values that libxlutil's parser and getters return. */
export const XLU_ERRNO = { ESRCH: 3, ENOMEM: 12, EINVAL: 22, ERANGE: 34 } as const;
export type XluErrno = keyof typeof XLU_ERRNO;
