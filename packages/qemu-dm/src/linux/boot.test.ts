import { describe, expect, it } from 'vitest';
import { bootLinuxGuest, kernelCommandLine, memmapArguments, missingBootTools } from './boot.ts';
import { parseGenerationIdArgument } from './boot-linux.ts';
import { planFirmwareBoot, qemuLayoutFor } from './firmware-plan.ts';

const generationId = { low: 0x332211009c3a1f5en, high: 0xbbaa998877665544n };

describe('planFirmwareBoot', () => {
  it("hands Linux the firmware's DSDT and the pages it wrote, all inside the reserved RAM", () => {
    const { plan, idBytes, firmware, layout } = planFirmwareBoot({ generationId, machine: 'q35' });
    expect(layout).toBe(qemuLayoutFor('q35'));
    expect(firmware.generationIdValue).toBe(`${generationId.low}:${generationId.high}`);
    expect(plan.idAddress).toBe(firmware.vmGenerationIdAddress);
    expect(plan.idAddress).toBeGreaterThan(0x07001000n);
    expect(plan.reserved).toEqual([{ address: 0x07000000n, size: 0x100000n }]);
    expect(plan.tables.map((table) => table.name)).toEqual(['dsdt.aml']);
    expect(new TextDecoder().decode(plan.tables[0]?.bytes.subarray(0, 4))).toBe('DSDT');
    expect(plan.devicePath).toBe('\\_SB.PCI0.ISA.VGID');
    expect(Buffer.from(idBytes).toString('hex')).toBe('5e1f3a9c00112233445566778899aabb');
    const holder = plan.memory.find((image) => plan.idAddress >= image.address && plan.idAddress + 16n <= image.address + BigInt(image.bytes.length));
    const at = Number(plan.idAddress - (holder?.address ?? 0n));
    expect(holder?.bytes.subarray(at, at + 16)).toEqual(idBytes);
  });

  it('places no buffer for 0:0', () => {
    expect(planFirmwareBoot({ generationId: { low: 0n, high: 0n }, machine: 'pc' }).plan.idAddress).toBe(0n);
  });

  it("refuses a layout that writes outside its reserved area (Xen's RSDP in the BIOS area)", () => {
    expect(() => planFirmwareBoot({ generationId, machine: 'pc', layout: { ...qemuLayoutFor('pc'), rsdpAddress: 0xea020, rsdpScanStart: 0xe0000, rsdpScanEnd: 0x100000 } })).toThrow(
      /outside/,
    );
  });
});

describe('the kernel command line', () => {
  const { plan } = planFirmwareBoot({ generationId, machine: 'pc' });

  it('reserves the firmware area and registers the kprobes with a full trace buffer', () => {
    const line = kernelCommandLine(plan);
    expect(line).toContain('memmap=0x100000$0x7000000');
    expect(line).toContain('trace_event=kprobes:vgrand');
    expect(line).toMatch(/kprobe_event=p:vgrand,add_device_randomness,[^ ]*;p:vgntf,vmgenid_notify;p:vgnth,vmgenid_acpi_handler;p:vgfork,add_vmfork_randomness,/);
    expect(line).toContain('console=ttyS0');
  });

  it('refuses an empty reserved range', () => {
    expect(() => memmapArguments([{ address: 0x1000n, size: 0n }])).toThrow(/positive/);
  });
});

describe('missingBootTools', () => {
  it('names what is missing with the Debian package to install', () => {
    expect(missingBootTools({ qemu: '/nonexistent/qemu-system-x86_64', busybox: '/nonexistent/busybox', kernel: '/nonexistent/vmlinuz' })).toEqual([
      '/nonexistent/qemu-system-x86_64 not found (Debian package qemu-system-x86)',
      '/nonexistent/busybox not found (Debian package busybox-static)',
      'kernel /nonexistent/vmlinuz not found or unreadable',
    ]);
  });
});

describe('bootLinuxGuest', () => {
  const { plan, idBytes } = planFirmwareBoot({ generationId, machine: 'pc' });

  it('refuses memory outside the reserved ranges before starting anything', async () => {
    const stray = { ...plan, memory: [...plan.memory, { address: 0x100000n, bytes: new Uint8Array(16) }] };
    await expect(bootLinuxGuest(stray, idBytes, { kernel: '/nonexistent', qemu: '/nonexistent' })).rejects.toThrow(/outside the reserved ranges/);
  });

  it('refuses a renewal when the firmware placed no buffer', async () => {
    const none = planFirmwareBoot({ generationId: { low: 0n, high: 0n }, machine: 'pc' });
    await expect(bootLinuxGuest(none.plan, none.idBytes, { kernel: '/nonexistent', renewalId: new Uint8Array(16) })).rejects.toThrow(/the firmware placed none/);
  });

  it('refuses IDs that are not 16 bytes', async () => {
    await expect(bootLinuxGuest(plan, new Uint8Array(8), { kernel: '/nonexistent' })).rejects.toThrow(/16 bytes/);
    await expect(bootLinuxGuest(plan, idBytes, { kernel: '/nonexistent', renewalId: new Uint8Array(17) })).rejects.toThrow(/16 bytes/);
  });
});

describe('parseGenerationIdArgument', () => {
  it('reads the two decimal words libxl writes', () => {
    expect(parseGenerationIdArgument('18446744073709551615:0')).toEqual({ low: 0xffffffffffffffffn, high: 0n });
    expect(parseGenerationIdArgument(`${generationId.low}:${generationId.high}`)).toEqual(generationId);
  });

  it.each(['', '1', '1:', ':1', '0x10:1', '-1:0', '1:2:3', '18446744073709551616:0', ' 1:2'])('refuses %j', (text) => {
    expect(() => parseGenerationIdArgument(text)).toThrow(/two unsigned decimal 64-bit words/);
  });
});
