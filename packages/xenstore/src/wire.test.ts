import { describe, expect, it } from 'vitest';
import { XsError } from './errors.ts';
import { XS_READ, XS_WRITE, XsFrameDecoder, countStrings, encodeMessage, joinStrings, oneArgument, splitStrings } from './wire.ts';

describe('xsd_sockmsg codec', () => {
  it('encodes the header little-endian, as the real client sends it', () => {
    const frame = encodeMessage({ type: XS_READ, reqId: 0, txId: 0, payload: joinStrings(['/local/domain/1/platform/generation-id']) });
    expect(frame.subarray(0, 16).toString('hex')).toBe('02000000000000000000000027000000');
    const write = encodeMessage({ type: XS_WRITE, reqId: 0, txId: 1, payload: Buffer.from('/vm/a\x001', 'latin1') });
    expect(write.toString('hex')).toBe('0b0000000000000001000000070000002f766d2f610031');
  });

  it('refuses a payload over 4096 bytes', () => {
    expect(() => encodeMessage({ type: XS_READ, reqId: 0, txId: 0, payload: new Uint8Array(4097) })).toThrow(XsError);
  });

  it('reassembles frames split at any byte', () => {
    const frames = [
      encodeMessage({ type: 1, reqId: 7, txId: 3, payload: joinStrings(['/a']) }),
      encodeMessage({ type: 2, reqId: 8, txId: 0, payload: new Uint8Array(0) }),
      encodeMessage({ type: 11, reqId: 9, txId: 0, payload: new Uint8Array(4096).fill(65) }),
    ];
    const stream = Buffer.concat(frames);
    for (const step of [1, 3, 16, 17, 1000, stream.length]) {
      const decoder = new XsFrameDecoder();
      const seen = [];
      for (let offset = 0; offset < stream.length; offset += step) seen.push(...decoder.push(stream.subarray(offset, offset + step)));
      expect(seen.map((message) => [message.type, message.reqId, message.txId, message.payload.length])).toEqual([
        [1, 7, 3, 3],
        [2, 8, 0, 0],
        [11, 9, 0, 4096],
      ]);
      expect(decoder.pending).toBe(0);
    }
  });

  it('throws E2BIG on a header announcing more than 4096 bytes', () => {
    const header = Buffer.alloc(16);
    header.writeUInt32LE(4097, 12);
    expect(() => new XsFrameDecoder().push(header)).toThrow(expect.objectContaining({ code: 'E2BIG' }));
  });

  it('splits strings as get_strings and onearg do', () => {
    expect(splitStrings(Buffer.from('a\0b\0tail', 'latin1'))).toEqual(['a', 'b']);
    expect(countStrings(Buffer.from('a\0\0', 'latin1'))).toBe(2);
    expect(oneArgument(Buffer.from('/x\0', 'latin1'))).toBe('/x');
    expect(oneArgument(Buffer.from('/x', 'latin1'))).toBeUndefined();
    expect(oneArgument(Buffer.from('/x\0y\0', 'latin1'))).toBeUndefined();
    expect(oneArgument(new Uint8Array(0))).toBeUndefined();
  });
});
