import { describe, expect, it } from 'vitest';
import { GENID_NOTIFY_GPE, HVM_PARAM_VM_GENERATION_ID_ADDR, MemoryHypervisor, PLATFORM_GENERATION_ID_KEY } from '@xen-genid/xc-params';
import { createMemoryStore } from '@xen-genid/xenstore';
import { DomainMemory } from '../guest-memory.ts';
import { createGuestModel } from './model.ts';
import { readGuestRecord } from './record.ts';

const ID_TEXT = '11400714819323198485:1311768467463790320';
const ID_HEX = '157c4a7fb979379ef0debc9a78563412';

function bootedGuest() {
  const store = createMemoryStore();
  const hypervisor: MemoryHypervisor = new MemoryHypervisor({
    now: () => 1_000,
    guestModel: (self) => createGuestModel({ hypervisor: self, store, now: () => 2_000 }),
  });
  const domid = hypervisor.createDomain({ type: 'hvm' }).domid;
  const dom0 = store.connect(0);
  dom0.mkdir(`/local/domain/${domid}`);
  dom0.setPerms(`/local/domain/${domid}`, [{ id: domid, access: 'n' }]);
  dom0.write(`/local/domain/${domid}/${PLATFORM_GENERATION_ID_KEY}`, ID_TEXT);
  dom0.close();
  hypervisor.unpauseDomain(domid);
  return { hypervisor, domid };
}

describe('the guest model and the firmware notify GPE', () => {
  it('a raised GPE 5 runs \\_GPE._E05, which notifies VGID; the guest re-reads the unchanged ID', () => {
    const { hypervisor, domid } = bootedGuest();
    hypervisor.raiseGpe(domid, GENID_NOTIFY_GPE);
    const record = readGuestRecord(hypervisor, domid)!;
    expect(record.events).toEqual([
      { at: 2_000, gpe: 5, handler: '\\_GPE._E05', notifications: [{ path: '\\_SB.PCI0.ISA.VGID', value: 0x80 }], failure: null },
    ]);
    expect(record.reads.map((read) => [read.reason, read.ok, read.changed])).toEqual([
      ['boot', true, false],
      ['notify', true, false],
    ]);
    expect(record.genid).toBe(ID_HEX);
    expect(record.lastFailure).toBeNull();
  });

  it('after the bytes at param 34 change, the notify read sees the new ID and says it changed', () => {
    const { hypervisor, domid } = bootedGuest();
    const address = hypervisor.readParam(domid, HVM_PARAM_VM_GENERATION_ID_ADDR);
    const memory = new DomainMemory(hypervisor, domid);
    memory.write(address, Uint8Array.from({ length: 16 }, (_, index) => index + 1));
    memory.flush();
    expect(readGuestRecord(hypervisor, domid)!.genid).toBe(ID_HEX); // nothing re-read without a notify
    hypervisor.raiseGpe(domid, GENID_NOTIFY_GPE);
    const record = readGuestRecord(hypervisor, domid)!;
    expect(record.genid).toBe('0102030405060708090a0b0c0d0e0f10');
    expect(record.reads.at(-1)).toMatchObject({ reason: 'notify', ok: true, changed: true });
  });

  it('another GPE has no handler: recorded, no notify, no read', () => {
    const { hypervisor, domid } = bootedGuest();
    hypervisor.raiseGpe(domid, 6);
    const record = readGuestRecord(hypervisor, domid)!;
    expect(record.events[0]).toMatchObject({ gpe: 6, handler: null, notifications: [] });
    expect(record.reads).toHaveLength(1);
  });
});
