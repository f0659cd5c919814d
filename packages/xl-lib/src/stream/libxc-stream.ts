/**
 * The libxc domain image, version 3 as Xen 4.17 writes it for an x86 HVM guest
 * (`docs/specs/libxc-migration-stream.pandoc`; writer `tools/libs/guest/xg_sr_save.c` +
 * `xg_sr_save_x86_hvm.c`, reader `xg_sr_restore.c` + `xg_sr_restore_x86_hvm.c`).
 *
 * Image header (big-endian), domain header, then records `{u32 type; u32 length; body; pad to 8}`
 * in the image's byte order (little-endian). This module encodes single records and reads a whole
 * image with libxc's restore-side checks, plus the verifier's (`verify-stream-v2`): zero padding and
 * reserved fields, no v3 records in a v2 image.
 */
import { HVM_NR_PARAMS, XC_PAGE_SIZE } from '@xen-genid/xc-params';
import { XlError } from '../errors.ts';
import type { LibxcLog } from '../progress.ts';
import { isRereadable, type ByteSource, type RereadableSource } from './byte-source.ts';
import { decodeCpuidPolicy, decodeMsrPolicy, type CpuidLeaf, type MsrEntry } from './cpu-policy.ts';
import {
  DHDR_TYPE_X86_HVM,
  DHDR_TYPE_X86_PV,
  HVM_PARAMS_ENTRY_SIZE,
  IHDR_ID,
  IHDR_MARKER,
  IHDR_OPT_BIG_ENDIAN,
  IHDR_VERSION,
  REC_LENGTH_MAX,
  REC_TYPE,
  REC_TYPE_OPTIONAL,
  TSC_INFO_SIZE,
  XEN_MAJOR,
  XEN_MINOR,
  alignRecord,
  isKnownPageType,
  libxcRecordName,
  pageTypeHasData,
} from './format.ts';
import { parseHvmContext } from './hvm-context.ts';
import { FrameTable } from './frame-table.ts';
import { FilePages } from './image-pages.ts';

export interface TscInfo {
  /** `TSC_MODE_*`. */
  readonly mode: number;
  readonly khz: number;
  /** Elapsed time, ns. */
  readonly nsec: bigint;
  readonly incarnation: number;
}

/** One page of a PAGE_DATA record: its frame, its `PFINFO` type and (for data-carrying types) its 4 KiB. */
export interface PageEntry {
  readonly pfn: number;
  readonly type: number;
  readonly data?: Uint8Array;
}


/** The 24 bytes of image header + domain header (`write_headers`). */
export function encodeLibxcHeaders(domainType: number = DHDR_TYPE_X86_HVM): Uint8Array {
  const bytes = new Uint8Array(24 + 16);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, IHDR_MARKER, false);
  view.setUint32(8, IHDR_ID, false);
  view.setUint32(12, IHDR_VERSION, false);
  view.setUint16(16, 0, false); // options: little-endian
  view.setUint32(24, domainType, true);
  view.setUint16(28, 12, true); // page_shift
  view.setUint32(32, XEN_MAJOR, true);
  view.setUint32(36, XEN_MINOR, true);
  return bytes;
}

/** A whole record: header, body, zero padding to 8 octets (`write_split_record`). */
export function encodeRecord(type: number, ...bodyParts: Uint8Array[]): Uint8Array {
  const length = bodyParts.reduce((sum, part) => sum + part.length, 0);
  if (length > REC_LENGTH_MAX) {
    throw new XlError('INVAL', `${libxcRecordName(type)} record of ${length} bytes exceeds REC_LENGTH_MAX`);
  }
  const bytes = new Uint8Array(8 + alignRecord(length));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, type >>> 0, true);
  view.setUint32(4, length, true);
  let at = 8;
  for (const part of bodyParts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

/** The body length of the PAGE_DATA record of `pages` (count, pfns, then a page of data each that has it). */
function pageDataLength(pages: readonly PageEntry[]): number {
  const withData = pages.filter((page) => pageTypeHasData(page.type)).length;
  return 8 + 8 * pages.length + XC_PAGE_SIZE * withData;
}

/** Where the first page's data starts in the PAGE_DATA record of `count` pages (its header, count and pfns before it). */
export function pageDataOffset(count: number): number {
  return 16 + 8 * count;
}

/** Bytes of the PAGE_DATA record of `pages`. */
export function pageDataSize(pages: readonly PageEntry[]): number {
  return 8 + alignRecord(pageDataLength(pages));
}

/**
 * A PAGE_DATA record for up to `MAX_BATCH_SIZE` pages (`write_batch`); written at the start of
 * `into` (every byte of the record: a reused buffer's old bytes never show) when it is given and
 * large enough, else in a new buffer.
 */
export function encodePageData(pages: readonly PageEntry[], into?: Uint8Array): Uint8Array {
  if (pages.length === 0) throw new XlError('INVAL', 'PAGE_DATA record needs at least one pfn');
  const length = pageDataLength(pages);
  const size = 8 + alignRecord(length);
  const reused = into !== undefined && into.length >= size;
  const bytes = reused ? into.subarray(0, size) : new Uint8Array(size);
  if (reused) bytes.fill(0, 8 + length); // the padding
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(0, REC_TYPE.PAGE_DATA, true);
  view.setUint32(4, length, true);
  view.setUint32(8, pages.length, true);
  view.setUint32(12, 0, true); // reserved
  let dataAt = pageDataOffset(pages.length);
  pages.forEach((page, i) => {
    if (!Number.isSafeInteger(page.pfn) || page.pfn < 0 || page.pfn >= 2 ** 52 || !isKnownPageType(page.type)) {
      throw new XlError('INVAL', `PAGE_DATA entry ${i}: pfn ${page.pfn} / type ${page.type} out of range`);
    }
    view.setUint32(16 + 8 * i, page.pfn % 0x100000000, true);
    view.setUint32(20 + 8 * i, ((page.type << 28) | Math.floor(page.pfn / 0x100000000)) >>> 0, true);
    if (pageTypeHasData(page.type)) {
      const data = page.data?.subarray(0, XC_PAGE_SIZE);
      // A page read into its place in the reused record is there already.
      const inPlace = data?.buffer === bytes.buffer && data.byteOffset === bytes.byteOffset + dataAt;
      if (data && !inPlace) bytes.set(data, dataAt);
      if (reused && (data?.length ?? 0) < XC_PAGE_SIZE) bytes.fill(0, dataAt + (data?.length ?? 0), dataAt + XC_PAGE_SIZE);
      dataAt += XC_PAGE_SIZE;
    }
  });
  return bytes;
}

export function encodeTscInfo(tsc: TscInfo): Uint8Array {
  const body = new Uint8Array(TSC_INFO_SIZE);
  const view = new DataView(body.buffer);
  view.setUint32(0, tsc.mode, true);
  view.setUint32(4, tsc.khz, true);
  view.setBigUint64(8, tsc.nsec, true);
  view.setUint32(16, tsc.incarnation, true);
  return encodeRecord(REC_TYPE.X86_TSC_INFO, body);
}

/** HVM_PARAMS (`write_hvm_params`): `{u32 count; u32 reserved; {u64 index; u64 value}[count]}`. */
export function encodeHvmParams(params: ReadonlyArray<readonly [number, bigint]>): Uint8Array {
  const body = new Uint8Array(8 + HVM_PARAMS_ENTRY_SIZE * params.length);
  const view = new DataView(body.buffer);
  view.setUint32(0, params.length, true);
  params.forEach(([index, value], i) => {
    view.setBigUint64(8 + 16 * i, BigInt(index), true);
    view.setBigUint64(16 + 16 * i, value, true);
  });
  return encodeRecord(REC_TYPE.HVM_PARAMS, body);
}

/**
 * What a libxc image carried, as read. Pages are views into the read buffers, or, for an image read
 * from a file that can be read again, a `FilePages` that reads them from the file when asked.
 */
export interface LibxcImage {
  readonly version: number;
  readonly domainType: number;
  readonly xenMajor: number;
  readonly xenMinor: number;
  /** Every record's type in stream order (PAGE_DATA once per record). */
  readonly recordTypes: number[];
  /** Latest data of every pfn sent, by frame number. */
  readonly pages: ReadonlyMap<number, Uint8Array>;
  /** PFINFO type of every pfn described, data-carrying or not. */
  readonly pageTypes: ReadonlyMap<number, number>;
  readonly params: Map<number, bigint>;
  tscInfo: TscInfo | undefined;
  hvmContext: Uint8Array | undefined;
  cpuidPolicy: CpuidLeaf[] | undefined;
  msrPolicy: MsrEntry[] | undefined;
}

/** `dhdr_type_to_str` (xg_sr_common.c). */
export function domainTypeName(type: number): string {
  return type === DHDR_TYPE_X86_PV ? 'x86 PV' : type === DHDR_TYPE_X86_HVM ? 'x86 HVM' : 'Unknown';
}

function streamError(message: string): XlError {
  return new XlError('INVAL', `libxc stream: ${message}`);
}

async function readHeaders(source: ByteSource): Promise<Pick<LibxcImage, 'version' | 'domainType' | 'xenMajor' | 'xenMinor'>> {
  const ihdr = await source.read(24, 'libxc image header');
  const iview = new DataView(ihdr.buffer, ihdr.byteOffset, ihdr.byteLength);
  const marker = iview.getBigUint64(0, false);
  if (marker !== IHDR_MARKER) {
    throw streamError(`invalid image marker 0x${marker.toString(16).padStart(16, '0')} (a legacy pre-4.6 stream, or not a libxc image)`);
  }
  const id = iview.getUint32(8, false);
  if (id !== IHDR_ID) throw streamError(`invalid image id: expected 0x${IHDR_ID.toString(16)}, got 0x${id.toString(16)}`);
  const version = iview.getUint32(12, false);
  if (version < 2 || version > IHDR_VERSION) {
    throw streamError(`unsupported image version: expected 2 <= version <= ${IHDR_VERSION}, got ${version}`);
  }
  const options = iview.getUint16(16, false);
  if (options & IHDR_OPT_BIG_ENDIAN) throw streamError('big-endian images are not supported (image header endianness bit set)');
  if (options & ~IHDR_OPT_BIG_ENDIAN) throw streamError(`reserved bits set in image options: 0x${options.toString(16)}`);
  if (iview.getUint16(18, false) !== 0 || iview.getUint32(20, false) !== 0) throw streamError('reserved bytes set in image header');

  const dhdr = await source.read(16, 'libxc domain header');
  const dview = new DataView(dhdr.buffer, dhdr.byteOffset, dhdr.byteLength);
  const domainType = dview.getUint32(0, true);
  if (domainType === DHDR_TYPE_X86_PV) throw streamError('x86 PV images cannot be restored (only x86 HVM guests are simulated)');
  if (domainType !== DHDR_TYPE_X86_HVM) throw streamError(`unrecognised domain type 0x${domainType.toString(16)}`);
  const pageShift = dview.getUint16(4, true);
  if (pageShift !== 12) throw streamError(`page shift ${pageShift}, expected 12`);
  if (dview.getUint16(6, true) !== 0) throw streamError('reserved bytes set in domain header');
  return { version, domainType, xenMajor: dview.getUint32(8, true), xenMinor: dview.getUint32(12, true) };
}

/** An image being read: its page types are written to as its records come. */
interface ImageBeingRead extends LibxcImage {
  readonly pageTypes: FrameTable;
}

/** Where the pages read so far go: a map of their bytes, or their offsets in a rereadable source. */
type PageSink = { readonly kind: 'memory'; readonly pages: Map<number, Uint8Array> } | { readonly kind: 'file'; readonly pages: FilePages };

/**
 * The checks of a PAGE_DATA record's head (count, pfns and types) against its body length
 * `length`: `head` holds at least its first `min(length, 8 + 8 * count)` bytes. Returns each
 * entry and the body offset of the first page's data.
 */
function readPageDataHead(head: Uint8Array, length: number): { pfns: Float64Array; types: Uint8Array; dataAt: number } {
  if (length < 8) throw streamError(`PAGE_DATA record truncated: length ${length}, minimum 8`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const count = view.getUint32(0, true);
  if (view.getUint32(4, true) !== 0) throw streamError('reserved field set in PAGE_DATA record');
  if (count < 1) throw streamError('PAGE_DATA record with no pfns');
  if (length < 8 + 8 * count) throw streamError(`PAGE_DATA record (length ${length}) too short for ${count} pfns`);
  // Two typed arrays rather than an object per page: a 256 MiB image has 65,536 of them.
  const pfns = new Float64Array(count);
  const types = new Uint8Array(count);
  let withData = 0;
  for (let i = 0; i < count; i++) {
    // the 64-bit pfn word as two halves (no bigint per page): type in bits 63..60, reserved 59..52
    const low = view.getUint32(8 + 8 * i, true);
    const high = view.getUint32(12 + 8 * i, true);
    if ((high >>> 20) & 0xff) {
      const word = view.getBigUint64(8 + 8 * i, true);
      throw streamError(`reserved bits set in PAGE_DATA pfn[${i}]: 0x${word.toString(16)}`);
    }
    const type = high >>> 28;
    const pfn = (high & 0xfffff) * 0x100000000 + low;
    if (!isKnownPageType(type)) throw streamError(`unknown page type 0x${type.toString(16)} for pfn 0x${pfn.toString(16)} (index ${i})`);
    if (pageTypeHasData(type)) withData++;
    pfns[i] = pfn;
    types[i] = type;
  }
  const expected = 8 + 8 * count + XC_PAGE_SIZE * withData;
  if (length !== expected) {
    throw streamError(`PAGE_DATA record wrong size: length ${length}, expected ${expected} for ${count} pfns, ${withData} with data`);
  }
  return { pfns, types, dataAt: 8 + 8 * count };
}

/**
 * A PAGE_DATA record read whole (`body`): its pages kept in `pages` (views of the body), or in a
 * VERIFY phase compared with those sent before.
 */
function handlePageData(image: ImageBeingRead, pages: Map<number, Uint8Array> | undefined, body: Uint8Array, verifying: boolean): void {
  const { pfns, types, dataAt: firstData } = readPageDataHead(body, body.length);
  let dataAt = firstData;
  for (let index = 0; index < pfns.length; index += 1) {
    const pfn = pfns[index]!;
    const type = types[index]!;
    if (!pageTypeHasData(type)) {
      if (!verifying) {
        image.pageTypes.set(pfn, type);
        pages?.delete(pfn);
      }
      continue;
    }
    const data = body.subarray(dataAt, dataAt + XC_PAGE_SIZE);
    dataAt += XC_PAGE_SIZE;
    if (verifying) {
      const have = image.pages.get(pfn);
      if (!have || Buffer.compare(have, data) !== 0) throw streamError(`VERIFY: pfn 0x${pfn.toString(16)} differs from the page sent before`);
      continue;
    }
    image.pageTypes.set(pfn, type);
    pages?.set(pfn, data);
  }
}

/** The padding after a record body of `length` bytes at `start`, left in a rereadable source: zero. */
function checkPadding(source: RereadableSource, start: number, length: number): void {
  const padding = new Uint8Array(alignRecord(length) - length);
  source.readAt(start + length, padding, 'libxc PAGE_DATA record body');
  if (padding.some((byte) => byte !== 0)) throw streamError('PAGE_DATA record padding contains non-zero bytes');
}

/**
 * A PAGE_DATA record of a rereadable source (outside a VERIFY phase), passed over: its head read
 * and checked as `handlePageData` checks it, each page's data left in the file and its offset
 * kept. `start` is where the record's body starts, `length` its length. Returns its pfn count.
 */
function placePageData(image: ImageBeingRead, pages: FilePages, source: RereadableSource, start: number, length: number): number {
  const what = 'libxc PAGE_DATA record body';
  // The count first, then the pfns it announces (as far as the body goes).
  const counted = new Uint8Array(Math.min(length, 8));
  source.readAt(start, counted, what);
  const count = counted.length < 8 ? 0 : new DataView(counted.buffer).getUint32(0, true);
  const head = new Uint8Array(Math.min(length, 8 + 8 * count));
  source.readAt(start, head, what);
  const { pfns, types, dataAt: firstData } = readPageDataHead(head, length);
  let dataAt = start + firstData;
  for (let index = 0; index < pfns.length; index += 1) {
    const pfn = pfns[index]!;
    const type = types[index]!;
    image.pageTypes.set(pfn, type);
    if (!pageTypeHasData(type)) {
      pages.remove(pfn);
      continue;
    }
    pages.place(pfn, dataAt);
    dataAt += XC_PAGE_SIZE;
  }
  return pfns.length;
}

function handleHvmParams(image: LibxcImage, body: Uint8Array): void {
  if (body.length < 8) throw streamError(`HVM_PARAMS record truncated: length ${body.length}, minimum 8`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const count = view.getUint32(0, true);
  if (view.getUint32(4, true) !== 0) throw streamError('reserved field set in HVM_PARAMS record');
  if (body.length !== 8 + HVM_PARAMS_ENTRY_SIZE * count) {
    throw streamError(`HVM_PARAMS record wrong size: length ${body.length}, expected ${8 + HVM_PARAMS_ENTRY_SIZE * count} for ${count} params`);
  }
  for (let i = 0; i < count; i++) {
    const index = view.getBigUint64(8 + 16 * i, true);
    if (index >= BigInt(HVM_NR_PARAMS)) throw streamError(`HVM_PARAMS entry ${i}: param index ${index} is not below HVM_NR_PARAMS (${HVM_NR_PARAMS})`);
    image.params.set(Number(index), view.getBigUint64(16 + 16 * i, true));
  }
}

function handleTscInfo(image: LibxcImage, body: Uint8Array): void {
  if (body.length !== TSC_INFO_SIZE) throw streamError(`X86_TSC_INFO record wrong size: length ${body.length}, expected ${TSC_INFO_SIZE}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (view.getUint32(20, true) !== 0) throw streamError('reserved field set in X86_TSC_INFO record');
  image.tscInfo = { mode: view.getUint32(0, true), khz: view.getUint32(4, true), nsec: view.getBigUint64(8, true), incarnation: view.getUint32(16, true) };
}

const EMPTY_RECORDS: ReadonlySet<number> = new Set([REC_TYPE.END, REC_TYPE.STATIC_DATA_END, REC_TYPE.VERIFY, REC_TYPE.CHECKPOINT]);
const V3_RECORDS: ReadonlySet<number> = new Set([REC_TYPE.STATIC_DATA_END, REC_TYPE.X86_CPUID_POLICY, REC_TYPE.X86_MSR_POLICY]);

/**
 * Reads a libxc image up to and including its END record. Throws an `INVAL` `XlError` naming the
 * first problem; nothing is applied anywhere, so a failure leaves no trace. `onFrames` is told the
 * pfns of the PAGE_DATA records read so far, after each one.
 */
export async function readLibxcImage(source: ByteSource, onFrames?: (framesSoFar: number) => void, log?: LibxcLog): Promise<LibxcImage> {
  const headers = await readHeaders(source);
  // read_headers, then the start of restore() (xg_sr_restore.c).
  log?.(`Found ${domainTypeName(headers.domainType)} domain from Xen ${headers.xenMajor}.${headers.xenMinor}`);
  log?.('Restoring domain');
  const sink: PageSink = isRereadable(source) ? { kind: 'file', pages: new FilePages(source) } : { kind: 'memory', pages: new Map() };
  const image: ImageBeingRead = {
    ...headers,
    recordTypes: [],
    pages: sink.pages,
    pageTypes: new FrameTable(),
    params: new Map(),
    tscInfo: undefined,
    hvmContext: undefined,
    cpuidPolicy: undefined,
    msrPolicy: undefined,
  };
  let seenStaticDataEnd = false;
  let verifying = false;
  let frames = 0;
  for (;;) {
    const header = await source.read(8, 'libxc record header');
    const hview = new DataView(header.buffer, header.byteOffset, header.byteLength);
    const type = hview.getUint32(0, true);
    const length = hview.getUint32(4, true);
    const name = libxcRecordName(type);
    if (length > REC_LENGTH_MAX) throw streamError(`${name} record length ${length} exceeds REC_LENGTH_MAX (${REC_LENGTH_MAX})`);
    if (type === REC_TYPE.PAGE_DATA && sink.kind === 'file' && !verifying) {
      // The pages stay in the file until they are loaded; the rest of the record is checked now.
      const rereadable = source as RereadableSource;
      const start = rereadable.skip(alignRecord(length), `libxc ${name} record body`);
      checkPadding(rereadable, start, length);
      image.recordTypes.push(type);
      if (!seenStaticDataEnd && image.version >= 3) throw streamError('PAGE_DATA record before STATIC_DATA_END');
      frames += placePageData(image, sink.pages, rereadable, start, length);
      onFrames?.(frames);
      continue;
    }
    const padded = await source.read(alignRecord(length), `libxc ${name} record body`);
    const body = padded.subarray(0, length);
    if (padded.subarray(length).some((byte) => byte !== 0)) throw streamError(`${name} record padding contains non-zero bytes`);
    image.recordTypes.push(type);
    if (EMPTY_RECORDS.has(type) && length !== 0) throw streamError(`${name} record with non-zero length ${length}`);
    if (V3_RECORDS.has(type) && image.version < 3) throw streamError(`${name} record found in a version ${image.version} image`);
    switch (type) {
      case REC_TYPE.END:
        return image;
      case REC_TYPE.PAGE_DATA:
        if (!seenStaticDataEnd && image.version >= 3) throw streamError('PAGE_DATA record before STATIC_DATA_END');
        // Outside a VERIFY phase a file-backed image's records are placed above, never read whole.
        handlePageData(image, sink.kind === 'memory' ? sink.pages : undefined, body, verifying);
        frames += new DataView(body.buffer, body.byteOffset, 4).getUint32(0, true);
        onFrames?.(frames);
        break;
      case REC_TYPE.X86_TSC_INFO:
        handleTscInfo(image, body);
        break;
      case REC_TYPE.HVM_CONTEXT:
        if (length === 0) throw streamError('zero-length HVM_CONTEXT record');
        parseHvmContext(body);
        image.hvmContext = body;
        break;
      case REC_TYPE.HVM_PARAMS:
        handleHvmParams(image, body);
        break;
      case REC_TYPE.STATIC_DATA_END:
        if (seenStaticDataEnd) throw streamError('duplicate STATIC_DATA_END record');
        seenStaticDataEnd = true;
        break;
      case REC_TYPE.X86_CPUID_POLICY:
        image.cpuidPolicy = decodeCpuidPolicy(body);
        break;
      case REC_TYPE.X86_MSR_POLICY:
        image.msrPolicy = decodeMsrPolicy(body);
        break;
      case REC_TYPE.VERIFY:
        verifying = true;
        break;
      case REC_TYPE.CHECKPOINT:
        throw streamError('CHECKPOINT record in a non-checkpointed stream');
      default:
        if (type & REC_TYPE_OPTIONAL) break; // optional records may be ignored
        throw streamError(`unrecognised or unsupported mandatory record type ${name} in an x86 HVM image`);
    }
  }
}
