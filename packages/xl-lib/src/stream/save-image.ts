/**
 * A whole `xl save` image: the xl save-file header with the domain's libxl JSON config
 * (`tools/xl/xl_saverestore.c` save_domain_core_writeconfig; read back by `create_domain` in
 * `tools/xl/xl_vmcontrol.c`), then the libxl stream v2 (`tools/libs/light/libxl_stream_write.c`,
 * `libxl_stream_read.c`), whose LIBXC_CONTEXT record is followed inline by the libxc image.
 */
import { XlError } from '../errors.ts';
import type { ByteSource } from './byte-source.ts';
import {
  LIBXL_OPT_BIG_ENDIAN,
  LIBXL_OPT_LEGACY,
  LIBXL_STREAM_IDENT,
  LIBXL_STREAM_VERSION,
  REC_LENGTH_MAX,
  REC_TYPE_LIBXL,
  REC_TYPE_OPTIONAL,
  SAVEFILE_BYTEORDER_VALUE,
  XL_HEADER_SIZE,
  XL_MANDATORY_FLAG_ALL,
  XL_MANDATORY_FLAG_JSON,
  XL_MANDATORY_FLAG_STREAMv2,
  XL_SAVEFILE_MAGIC,
  alignRecord,
  libxlRecordName,
} from './format.ts';
import { PROGRESS_FRAMES_RESTORED, type LibxcLog, type ProgressReport } from '../progress.ts';
import { readLibxcImage, type LibxcImage } from './libxc-stream.ts';

const MAGIC_BYTES = Buffer.from(XL_SAVEFILE_MAGIC, 'latin1');

/**
 * Beyond Xen: what this toolstack adds to the optional data after the config, where `struct
 * save_file_header` (`tools/xl/xl.h`) says a reader "skip[s] tail, if not understood" (real xl's
 * `create_domain` reads the config and skips the rest; `verify-stream-v2` skips the whole optional
 * data). Laid out as 8 bytes of magic, a u32 length and that many bytes of JSON text.
 */
export const XL_OPTIONAL_TAIL_MAGIC = 'xengenid';

/** The tail's contents (each member optional, so images without them still read). */
export interface SaveImageExtras {
  /** Frames the libxc stream carries (PAGE_DATA entries): a reader's progress total. */
  readonly frames?: number;
  /** The generation ID's timeline up to the save (`genid/history.ts` reads and checks it). */
  readonly genidHistory?: readonly unknown[];
}

/** The extras as the optional data's tail (empty when there are none). */
function encodeExtras(extras: SaveImageExtras | undefined): Uint8Array {
  if (!extras || Object.keys(extras).length === 0) return new Uint8Array(0);
  const json = Buffer.from(JSON.stringify(extras), 'utf8');
  const tail = new Uint8Array(12 + json.length);
  tail.set(Buffer.from(XL_OPTIONAL_TAIL_MAGIC, 'latin1'), 0);
  new DataView(tail.buffer).setUint32(8, json.length, true);
  tail.set(json, 12);
  return tail;
}

/** Reads the tail after the config; one that is not ours is skipped, as xl skips it. */
function decodeExtras(tail: Uint8Array): SaveImageExtras | undefined {
  if (tail.length < 12 || Buffer.from(tail.subarray(0, 8)).toString('latin1') !== XL_OPTIONAL_TAIL_MAGIC) return undefined;
  const length = new DataView(tail.buffer, tail.byteOffset + 8, 4).getUint32(0, true);
  if (length > tail.length - 12) throw fail(`Savefile truncated: optional data tail of ${length} bytes, only ${tail.length - 12} present`);
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(tail.subarray(12, 12 + length)));
  } catch {
    throw fail('Savefile optional data tail is not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fail('Savefile optional data tail is not a JSON object');
  const { frames, genidHistory } = raw as Record<string, unknown>;
  if (frames !== undefined && !(typeof frames === 'number' && Number.isSafeInteger(frames) && frames >= 0)) {
    throw fail('Savefile optional data tail: frames is not a count');
  }
  if (genidHistory !== undefined && !Array.isArray(genidHistory)) throw fail('Savefile optional data tail: genidHistory is not a list');
  return { ...(frames === undefined ? {} : { frames }), ...(genidHistory === undefined ? {} : { genidHistory }) };
}

/**
 * The xl header and its optional data (`u32 config_len; config bytes`, the JSON NUL-terminated),
 * then the extras' tail when there are any.
 */
export function encodeXlHeader(configJson: string | undefined, extras?: SaveImageExtras): Uint8Array {
  const config = configJson === undefined ? new Uint8Array(0) : Buffer.from(`${configJson}\0`, 'utf8');
  const tail = encodeExtras(extras);
  const optionalLength = 4 + config.length + tail.length;
  const bytes = new Uint8Array(XL_HEADER_SIZE + optionalLength);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC_BYTES, 0);
  view.setUint32(32, SAVEFILE_BYTEORDER_VALUE, true);
  view.setUint32(36, XL_MANDATORY_FLAG_STREAMv2 | (config.length > 0 ? XL_MANDATORY_FLAG_JSON : 0), true);
  view.setUint32(40, 0, true);
  view.setUint32(44, optionalLength, true);
  view.setUint32(48, config.length, true);
  bytes.set(config, 52);
  bytes.set(tail, 52 + config.length);
  return bytes;
}

/** The libxl stream header: `{u64 ident; u32 version; u32 options}`, big-endian. */
export function encodeLibxlHeader(): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, LIBXL_STREAM_IDENT, false);
  view.setUint32(8, LIBXL_STREAM_VERSION, false);
  view.setUint32(12, 0, false);
  return bytes;
}

export interface XlHeader {
  readonly mandatoryFlags: number;
  readonly optionalFlags: number;
  readonly optionalDataLength: number;
  /** The config text (libxl JSON when `configIsJson`), without its trailing NUL; undefined if none. */
  readonly config: string | undefined;
  readonly configIsJson: boolean;
  /** What this toolstack added after the config (undefined when the tail is absent or not ours). */
  readonly extras: SaveImageExtras | undefined;
}

export interface SaveImage {
  readonly xl: XlHeader;
  /** libxl record types in stream order. */
  readonly libxlRecordTypes: number[];
  readonly libxc: LibxcImage;
  /** The EMULATOR_CONTEXT record's data (after its emulator header): the device model's state. */
  readonly emulatorContext?: Uint8Array;
  /** Bytes of the whole image, up to the end of the libxl END record. */
  readonly length: number;
}

function fail(message: string): XlError {
  return new XlError('INVAL', message);
}

async function readXlHeader(source: ByteSource): Promise<XlHeader> {
  const header = await source.read(XL_HEADER_SIZE, 'xl save-file header');
  if (Buffer.compare(header.subarray(0, 32), MAGIC_BYTES) !== 0) {
    throw fail('File has wrong magic number - corrupt or for a different tool? (not an xl save file)');
  }
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const byteorder = view.getUint32(32, true);
  if (byteorder !== SAVEFILE_BYTEORDER_VALUE) {
    const bigEndian = view.getUint32(32, false) === SAVEFILE_BYTEORDER_VALUE;
    throw fail(`File has wrong byte order${bigEndian ? ' (saved on a big-endian host)' : ` (byte-order word 0x${byteorder.toString(16)})`}`);
  }
  const mandatoryFlags = view.getUint32(36, true);
  const optionalFlags = view.getUint32(40, true);
  const optionalDataLength = view.getUint32(44, true);
  const badFlags = mandatoryFlags & ~XL_MANDATORY_FLAG_ALL;
  if (badFlags) {
    throw fail(`Savefile has mandatory flag(s) 0x${(badFlags >>> 0).toString(16)} which are not supported; need newer xl`);
  }
  if (!(mandatoryFlags & XL_MANDATORY_FLAG_STREAMv2)) {
    throw fail('Savefile body is a legacy (pre-migration-v2) stream, which is not supported');
  }
  const optional = await source.read(optionalDataLength, 'xl header optional data');
  let config: string | undefined;
  let extras: SaveImageExtras | undefined;
  if (optional.length > 0) {
    if (optional.length < 4) throw fail('Savefile truncated: optional data too short for the config length');
    const configLength = new DataView(optional.buffer, optional.byteOffset, 4).getUint32(0, true);
    if (configLength > optional.length - 4) {
      throw fail(`Savefile truncated: config of ${configLength} bytes, only ${optional.length - 4} in the optional data`);
    }
    let bytes = optional.subarray(4, 4 + configLength);
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.includes(0)) throw fail('Savefile config data contains a NUL byte before its end');
    const decoder = new TextDecoder('utf-8', { fatal: true });
    try {
      config = configLength > 0 ? decoder.decode(bytes) : undefined;
    } catch {
      throw fail('Savefile config data is not valid UTF-8');
    }
    extras = decodeExtras(optional.subarray(4 + configLength));
  }
  return { mandatoryFlags, optionalFlags, optionalDataLength, config, configIsJson: (mandatoryFlags & XL_MANDATORY_FLAG_JSON) !== 0, extras };
}

async function readLibxlHeader(source: ByteSource): Promise<void> {
  const header = await source.read(16, 'libxl stream header');
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const ident = view.getBigUint64(0, false);
  if (ident !== LIBXL_STREAM_IDENT) throw fail(`libxl stream: invalid ident 0x${ident.toString(16).padStart(16, '0')}, expected "LibxlFmt"`);
  const version = view.getUint32(8, false);
  if (version !== LIBXL_STREAM_VERSION) throw fail(`libxl stream: unsupported version: expected ${LIBXL_STREAM_VERSION}, got ${version}`);
  const options = view.getUint32(12, false);
  if (options & LIBXL_OPT_BIG_ENDIAN) throw fail('libxl stream: big-endian streams are not supported (header endianness bit set)');
  if (options & LIBXL_OPT_LEGACY) throw fail('libxl stream: converted legacy streams are not supported');
  if (options !== 0) throw fail(`libxl stream: reserved bits set in header options: 0x${options.toString(16)}`);
}

function checkEmulatorRecord(name: string, body: Uint8Array): void {
  if (body.length < 8) throw fail(`libxl stream: ${name} record of ${body.length} bytes, minimum 8`);
  const emulator = new DataView(body.buffer, body.byteOffset, 8).getUint32(0, true);
  if (emulator > 2) throw fail(`libxl stream: ${name} record for unrecognised emulator id 0x${emulator.toString(16)}`);
  if (name === 'EMULATOR_XENSTORE_DATA' && body.length > 8) {
    const data = body.subarray(8);
    if (data[data.length - 1] !== 0) throw fail('libxl stream: EMULATOR_XENSTORE_DATA not NUL terminated');
    const parts = Buffer.from(data.subarray(0, data.length - 1)).toString('latin1').split('\0');
    if (parts.length % 2 !== 0) throw fail(`libxl stream: EMULATOR_XENSTORE_DATA has ${parts.length} strings, expected key/value pairs`);
  }
}

export interface ReadSaveImageOptions {
  /**
   * Told the frames read so far against the total the image's extras declare (nothing is reported
   * for an image without that total).
   */
  readonly progress?: ProgressReport;
  /** Told libxc's messages as its restore prints them while it reads the image. */
  readonly log?: LibxcLog;
}

/**
 * Reads a whole save image (xl header, libxl stream, libxc image) from `source`, stopping after the
 * libxl END record. Every structural problem is an `INVAL` `XlError` naming it; nothing is applied.
 */
export async function readSaveImage(source: ByteSource, options: ReadSaveImageOptions = {}): Promise<SaveImage> {
  const start = source.offset;
  const xl = await readXlHeader(source);
  const total = xl.extras?.frames;
  const { progress } = options;
  const onFrames = progress && total !== undefined ? (done: number) => progress(PROGRESS_FRAMES_RESTORED, done, total) : undefined;
  await readLibxlHeader(source);
  const libxlRecordTypes: number[] = [];
  let libxc: LibxcImage | undefined;
  let emulatorContext: Uint8Array | undefined;
  for (;;) {
    const header = await source.read(8, 'libxl record header');
    const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
    const type = view.getUint32(0, true);
    const length = view.getUint32(4, true);
    const name = libxlRecordName(type);
    if (length > REC_LENGTH_MAX) throw fail(`libxl stream: ${name} record length ${length} exceeds ${REC_LENGTH_MAX}`);
    const padded = await source.read(alignRecord(length), `libxl ${name} record body`);
    const body = padded.subarray(0, length);
    if (padded.subarray(length).some((byte) => byte !== 0)) throw fail(`libxl stream: ${name} record padding contains non-zero bytes`);
    libxlRecordTypes.push(type);
    switch (type) {
      case REC_TYPE_LIBXL.END:
        if (length !== 0) throw fail('libxl stream: END record with non-zero length');
        if (!libxc) throw fail('libxl stream: END before any LIBXC_CONTEXT record (no domain memory in the image)');
        return { xl, libxlRecordTypes, libxc, ...(emulatorContext ? { emulatorContext } : {}), length: source.offset - start };
      case REC_TYPE_LIBXL.LIBXC_CONTEXT:
        if (length !== 0) throw fail('libxl stream: LIBXC_CONTEXT record with non-zero length');
        if (libxc) throw fail('libxl stream: second LIBXC_CONTEXT record');
        libxc = await readLibxcImage(source, onFrames, options.log);
        break;
      case REC_TYPE_LIBXL.EMULATOR_XENSTORE_DATA:
        checkEmulatorRecord(name, body);
        break;
      case REC_TYPE_LIBXL.EMULATOR_CONTEXT:
        checkEmulatorRecord(name, body);
        if (emulatorContext) throw fail('libxl stream: second EMULATOR_CONTEXT record');
        emulatorContext = body.slice(8);
        break;
      case REC_TYPE_LIBXL.CHECKPOINT_END:
      case REC_TYPE_LIBXL.CHECKPOINT_STATE:
        throw fail(`libxl stream: ${name} record in a non-checkpointed stream`);
      default:
        if (type & REC_TYPE_OPTIONAL) break;
        throw fail(`libxl stream: unrecognised mandatory record type ${name}`);
    }
  }
}
