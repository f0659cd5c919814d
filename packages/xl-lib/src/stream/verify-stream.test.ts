/**
 * Every kind of image our writer produces must pass Debian's `verify-stream-v2 -f xl`
 * (xen-utils-4.17), the structural verifier shipped with Xen.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithReferee } from '@xen-genid/test-utils';
import { MemoryHypervisor } from '@xen-genid/xc-params';
import { afterAll, expect, it } from 'vitest';
import { SAMPLE_GENID, concatChunks, configJsonFor, makeGuestDomain } from './__fixtures__/guest-domain.ts';
import { verifyStream, verifyStreamReferee as referee } from './__fixtures__/verify-stream.ts';
import { REC_TYPE } from './format.ts';
import { saveImageChunks } from './write-save-image.ts';

describeWithReferee('save images pass verify-stream-v2 -f xl', referee, () => {
  const dir = mkdtempSync(join(tmpdir(), 'xl-lib-verify-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function write(name: string, bytes: Uint8Array): string {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    return file;
  }

  it('a guest with a generation ID, over several PAGE_DATA batches', () => {
    const { hypervisor, domid, configJson } = makeGuestDomain({ genid: SAMPLE_GENID, pages: 2100 });
    const result = verifyStream(write('with-id.save', concatChunks(saveImageChunks(hypervisor, domid, { configJson }))));
    expect(result.output).toMatch(/Domain Header: x86 HVM from Xen 4\.17/);
    expect(result.output).toMatch(/Squashed 3 Page Data records together/);
    expect(result.output).toMatch(/Libxc Record: HVM params, length 40/);
    expect(result.status, result.output).toBe(0);
  });

  it('a guest without an ID (no param 34), and one with no params at all', () => {
    const plain = makeGuestDomain({ pages: 3 });
    expect(verifyStream(write('no-id.save', concatChunks(saveImageChunks(plain.hypervisor, plain.domid, { configJson: plain.configJson })))).status).toBe(0);
    const hypervisor = new MemoryHypervisor();
    const { domid } = hypervisor.createDomain({ type: 'hvm' });
    hypervisor.writePage(domid, 1, new Uint8Array(4096).fill(1));
    const result = verifyStream(write('bare.save', concatChunks(saveImageChunks(hypervisor, domid, { configJson: configJsonFor('bare', undefined) }))));
    expect(result.output).not.toMatch(/HVM params/);
    expect(result.status, result.output).toBe(0);
  });

  it('an image without a config in its xl header', () => {
    const { hypervisor, domid } = makeGuestDomain({ pages: 2 });
    expect(verifyStream(write('no-config.save', concatChunks(saveImageChunks(hypervisor, domid)))).status).toBe(0);
  });

  it('and the verifier does reject a broken image (the check can fail)', () => {
    const { hypervisor, domid, configJson } = makeGuestDomain({ genid: SAMPLE_GENID, pages: 2 });
    const bytes = Uint8Array.from(concatChunks(saveImageChunks(hypervisor, domid, { configJson })));
    const view = new DataView(bytes.buffer);
    // turn the STATIC_DATA_END record into an unknown mandatory type
    let at = 48 + view.getUint32(44, true) + 16 + 8 + 40;
    while (view.getUint32(at, true) !== REC_TYPE.STATIC_DATA_END) at += 8 + Math.ceil(view.getUint32(at + 4, true) / 8) * 8;
    view.setUint32(at, 0x13, true);
    const result = verifyStream(write('broken.save', bytes));
    expect(result.status).toBe(1);
    expect(result.output).toMatch(/Unrecognised record type 0x13/);
  });
});
