/**
 * The text forms of a VM Generation ID, as one table: each form's name, what its text looks like,
 * its parser and its formatter, all on the 16 bytes in guest-memory order. `MsVmGenid.parse`,
 * `MsVmGenid.format` and every command that reads or prints an ID go through it (spec anchors §5
 * gives the vectors). Split into two 64-bit words the bytes are little-endian: `lo` = bytes 0..7,
 * `hi` = bytes 8..15, as libxl `memcpy`s them into `uint64_t[2]` on x86
 * (`libxl__ms_vm_genid_set`, `tools/libs/light/libxl_genid.c`).
 */
import { XlError } from '../errors.ts';
import { UUID_TEXT } from '../uuid.ts';

/** `LIBXL_MS_VM_GENID_LEN`. */
export const LIBXL_MS_VM_GENID_LEN = 16;

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** The two `.vmx` keys VMware keeps an ID in. */
export interface VmwareGenid {
  /** `vm.genid`: the low word as a signed 64-bit decimal. */
  readonly genid: string;
  /** `vm.genidX`: the high word as a signed 64-bit decimal. */
  readonly genidX: string;
}

/** One text form of an ID. */
export interface MsVmGenidForm<Name extends string = string> {
  readonly name: Name;
  /** Where the form comes from, for help texts. */
  readonly description: string;
  /**
   * What text in this form looks like, to tell the forms apart. The parser may accept more (a
   * GUID's braces); it is also stricter (a xenstore word with a leading zero matches, and is refused).
   */
  readonly pattern: RegExp;
  /** The 16 bytes in memory order; `XlError('INVAL')` naming the form and the problem. */
  parse(text: string): Uint8Array;
  format(bytes: Uint8Array): string;
}

export function invalidGenidText(form: string, text: string, reason: string): XlError {
  return new XlError('INVAL', `invalid ${form} generation ID ${JSON.stringify(text)}: ${reason}`);
}

/** The 16 bytes of two little-endian 64-bit words (each 0..2^64-1). */
export function bytesOfWords(lo: bigint, hi: bigint): Uint8Array {
  const bytes = new Uint8Array(LIBXL_MS_VM_GENID_LEN);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, lo, true);
  view.setBigUint64(8, hi, true);
  return bytes;
}

/** The low and high words of 16 bytes. */
export function wordsOfBytes(bytes: Uint8Array): { readonly lo: bigint; readonly hi: bigint } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, LIBXL_MS_VM_GENID_LEN);
  return { lo: view.getBigUint64(0, true), hi: view.getBigUint64(8, true) };
}

function hexOf(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += byte.toString(16).padStart(2, '0');
  return text;
}

function bytesOfHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let index = 0; index < bytes.length; index += 1) {
    bytes[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  }
  return bytes;
}

/** A GUID's text and memory orders differ by swapping its first three fields (4, 2 and 2 bytes). */
function swapGuidFields(bytes: Uint8Array): Uint8Array {
  const swapped = new Uint8Array(LIBXL_MS_VM_GENID_LEN);
  swapped.set(bytes.slice(0, 4).reverse(), 0);
  swapped.set(bytes.slice(4, 6).reverse(), 4);
  swapped.set(bytes.slice(6, 8).reverse(), 6);
  swapped.set(bytes.subarray(8, 16), 8);
  return swapped;
}

/** Parses an unsigned 64-bit decimal word: digits only, no sign, no leading zero (hvmloader would read octal). */
function parseUnsignedWord(text: string, word: string, name: string): bigint {
  if (word === '') throw invalidGenidText('xenstore', text, `the ${name} word is empty`);
  if (!/^[0-9]+$/.test(word)) {
    throw invalidGenidText('xenstore', text, `the ${name} word ${JSON.stringify(word)} is not an unsigned decimal number`);
  }
  if (word.length > 1 && word.startsWith('0')) {
    throw invalidGenidText('xenstore', text, `the ${name} word ${JSON.stringify(word)} has a leading zero (hvmloader would read it as octal)`);
  }
  const value = BigInt(word);
  if (value > UINT64_MAX) throw invalidGenidText('xenstore', text, `the ${name} word ${word} does not fit in 64 bits`);
  return value;
}

function parseSignedWord(text: string, word: string, name: string): bigint {
  const trimmed = word.trim();
  if (!/^[+-]?[0-9]+$/.test(trimmed)) throw invalidGenidText('vmware', text, `${name} ${JSON.stringify(word)} is not a signed decimal number`);
  const value = BigInt(trimmed);
  if (value < INT64_MIN || value > INT64_MAX) {
    throw invalidGenidText('vmware', text, `${name} ${trimmed} does not fit in a signed 64-bit integer`);
  }
  return BigInt.asUintN(64, value);
}

/** VMware's `vm.genid` (low word) and `vm.genidX` (high word), signed 64-bit decimals. */
export function bytesOfVmware(pair: VmwareGenid): Uint8Array {
  const text = `vm.genid=${pair.genid} vm.genidX=${pair.genidX}`;
  return bytesOfWords(parseSignedWord(text, pair.genid, 'vm.genid'), parseSignedWord(text, pair.genidX, 'vm.genidX'));
}

export function vmwareOfBytes(bytes: Uint8Array): VmwareGenid {
  const { lo, hi } = wordsOfBytes(bytes);
  return { genid: BigInt.asIntN(64, lo).toString(), genidX: BigInt.asIntN(64, hi).toString() };
}

const HEX_TEXT = /^[0-9a-fA-F]{32}$/;
const VMX_TEXT = /^vm\.genid\s*=\s*"([^"]*)"\s*,\s*vm\.genidX\s*=\s*"([^"]*)"$/;

/** Every text form, in the order a form is recognised when several are allowed. */
export const MS_VM_GENID_FORMS = [
  {
    name: 'xenstore',
    description: '"<lo>:<hi>", unsigned decimal words, as libxl writes platform/generation-id',
    pattern: /^[0-9]+:[0-9]+$/,
    parse(text) {
      const parts = text.split(':');
      if (parts.length !== 2) throw invalidGenidText('xenstore', text, 'expected "<lo>:<hi>" with exactly one colon');
      return bytesOfWords(parseUnsignedWord(text, parts[0]!, 'low'), parseUnsignedWord(text, parts[1]!, 'high'));
    },
    format(bytes) {
      const { lo, hi } = wordsOfBytes(bytes);
      return `${lo}:${hi}`;
    },
  },
  {
    name: 'guid',
    description: 'RFC 4122 text, first three fields byte-swapped into memory (QEMU, libvirt, Hyper-V)',
    pattern: UUID_TEXT,
    parse(text) {
      const inner = text.startsWith('{') && text.endsWith('}') ? text.slice(1, -1) : text;
      if (!UUID_TEXT.test(inner)) throw invalidGenidText('guid', text, 'expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (hexadecimal)');
      return swapGuidFields(bytesOfHex(inner.replaceAll('-', '')));
    },
    format(bytes) {
      const hex = hexOf(swapGuidFields(bytes));
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  },
  {
    name: 'hex',
    description: '32 hexadecimal digits in memory order',
    pattern: HEX_TEXT,
    parse(text) {
      if (!HEX_TEXT.test(text)) throw invalidGenidText('hex', text, 'expected exactly 32 hexadecimal digits');
      return bytesOfHex(text);
    },
    format: hexOf,
  },
  {
    name: 'hyperv',
    description: "16 hexadecimal digits of hi then 16 of lo (Hyper-V's configuration files)",
    pattern: HEX_TEXT,
    parse(text) {
      if (!HEX_TEXT.test(text)) throw invalidGenidText('hyperv', text, 'expected exactly 32 hexadecimal digits');
      return bytesOfWords(BigInt(`0x${text.slice(16)}`), BigInt(`0x${text.slice(0, 16)}`));
    },
    format(bytes) {
      const { lo, hi } = wordsOfBytes(bytes);
      return hi.toString(16).padStart(16, '0') + lo.toString(16).padStart(16, '0');
    },
  },
  {
    name: 'windows',
    description: '"<lo>:<hi>" in unpadded hexadecimal (VM_GENCOUNTER as VMGENID.EXE prints it)',
    pattern: /^[0-9a-fA-F]{1,16}:[0-9a-fA-F]{1,16}$/,
    parse(text) {
      const match = /^([0-9a-fA-F]{1,16}):([0-9a-fA-F]{1,16})$/.exec(text);
      if (!match) throw invalidGenidText('windows', text, 'expected "<lo>:<hi>" in hexadecimal, at most 16 digits each');
      return bytesOfWords(BigInt(`0x${match[1]}`), BigInt(`0x${match[2]}`));
    },
    format(bytes) {
      const { lo, hi } = wordsOfBytes(bytes);
      return `${lo.toString(16)}:${hi.toString(16)}`;
    },
  },
  {
    name: 'vmware',
    description: 'vm.genid and vm.genidX, lo and hi as signed 64-bit decimals: "<vm.genid>,<vm.genidX>"',
    pattern: /^(?:[+-]?[0-9]+\s*,\s*[+-]?[0-9]+|vm\.genid\s*=\s*"[+-]?[0-9]+"\s*,\s*vm\.genidX\s*=\s*"[+-]?[0-9]+")$/,
    parse(text) {
      const vmx = VMX_TEXT.exec(text);
      const [genid, genidX, ...rest] = vmx ? [vmx[1]!, vmx[2]!] : text.split(',');
      if (genid === undefined || genidX === undefined || rest.length > 0) {
        throw new XlError('INVAL', `vmware form: expected "<vm.genid>,<vm.genidX>", got ${JSON.stringify(text)}`);
      }
      return bytesOfVmware({ genid: genid.trim(), genidX: genidX.trim() });
    },
    format(bytes) {
      const pair = vmwareOfBytes(bytes);
      return `vm.genid = "${pair.genid}", vm.genidX = "${pair.genidX}"`;
    },
  },
] as const satisfies readonly MsVmGenidForm[];

/** The name of a text form. */
export type MsVmGenidTextForm = (typeof MS_VM_GENID_FORMS)[number]['name'];

/** Every form's name, in table order. */
export const MS_VM_GENID_FORM_NAMES: readonly MsVmGenidTextForm[] = MS_VM_GENID_FORMS.map((form) => form.name);

/** The form named `name`; `XlError('INVAL')` for a name that is not one. */
export function msVmGenidForm(name: string): MsVmGenidForm<MsVmGenidTextForm> {
  const form = MS_VM_GENID_FORMS.find((candidate) => candidate.name === name);
  if (!form) throw new XlError('INVAL', `unknown generation ID form ${JSON.stringify(name)} (one of ${MS_VM_GENID_FORM_NAMES.join(', ')})`);
  return form;
}

/** The first of `allowed` whose pattern `text` matches, or undefined. */
export function msVmGenidFormOf(text: string, allowed: readonly MsVmGenidTextForm[]): MsVmGenidTextForm | undefined {
  return allowed.find((name) => msVmGenidForm(name).pattern.test(text));
}
