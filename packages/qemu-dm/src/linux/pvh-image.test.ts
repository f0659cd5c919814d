import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { extractPvhVmlinux, findXzPayload, hasPvhEntry, XEN_ELFNOTE_PHYS32_ENTRY } from './pvh-image.ts';

/** A minimal ELF64 with one PT_NOTE segment holding one note. */
function elfWithNote(name: string, type: number): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, 'latin1');
  const namePadded = Math.ceil(nameBytes.length / 4) * 4;
  const note = Buffer.alloc(12 + namePadded + 8);
  note.writeUInt32LE(nameBytes.length, 0);
  note.writeUInt32LE(8, 4);
  note.writeUInt32LE(type, 8);
  nameBytes.copy(note, 12);
  note.writeUInt32LE(0x01000850, 12 + namePadded);
  const elf = Buffer.alloc(64 + 56 + note.length);
  elf.writeUInt32BE(0x7f454c46, 0);
  elf[4] = 2; // ELFCLASS64
  elf[5] = 1; // little-endian
  elf[6] = 1;
  elf.writeBigUInt64LE(64n, 0x20); // e_phoff
  elf.writeUInt16LE(56, 0x36); // e_phentsize
  elf.writeUInt16LE(1, 0x38); // e_phnum
  elf.writeUInt32LE(4, 64); // PT_NOTE
  elf.writeBigUInt64LE(120n, 64 + 0x08); // p_offset
  elf.writeBigUInt64LE(BigInt(note.length), 64 + 0x20); // p_filesz
  note.copy(elf, 120);
  return elf;
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xen-genid-pvh-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('hasPvhEntry', () => {
  it('finds the XEN_ELFNOTE_PHYS32_ENTRY note and nothing else', () => {
    const dir = tempDir();
    const cases: [string, Buffer, boolean][] = [
      ['pvh', elfWithNote('Xen', XEN_ELFNOTE_PHYS32_ENTRY), true],
      ['other-type', elfWithNote('Xen', 5), false],
      ['gnu', elfWithNote('GNU', XEN_ELFNOTE_PHYS32_ENTRY), false],
      ['not-elf', Buffer.from('MZ not an ELF at all, just some bytes to fill 64 of them...........'), false],
    ];
    for (const [name, bytes, expected] of cases) {
      writeFileSync(join(dir, name), bytes);
      expect(hasPvhEntry(join(dir, name)), name).toBe(expected);
    }
    expect(hasPvhEntry(join(dir, 'absent'))).toBe(false);
  });

  it('locates the xz stream in an image', () => {
    expect(findXzPayload(Uint8Array.of(1, 2, 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 9))).toBe(2);
    expect(findXzPayload(Uint8Array.of(1, 2, 3))).toBe(-1);
  });
});

describeWithReferee('extractPvhVmlinux with xz', findReferee('xz (xz-utils)', ['xz']), () => {
  it('unpacks the xz payload behind a setup header, trailing bytes ignored', async () => {
    const dir = tempDir();
    const elf = elfWithNote('Xen', XEN_ELFNOTE_PHYS32_ENTRY);
    const packed = execFileSync('xz', ['--stdout', '--check=crc32'], { input: elf });
    writeFileSync(join(dir, 'bzImage'), Buffer.concat([Buffer.alloc(512, 0x90), packed, Buffer.alloc(64, 0xee)]));
    await expect(extractPvhVmlinux(join(dir, 'bzImage'), join(dir, 'vmlinux'))).resolves.toBe(true);
    expect(readFileSync(join(dir, 'vmlinux')).equals(elf)).toBe(true);
  });

  it('refuses a payload that is not a PVH ELF and leaves nothing behind', async () => {
    const dir = tempDir();
    const packed = execFileSync('xz', ['--stdout', '--check=crc32'], { input: elfWithNote('Xen', 5) });
    writeFileSync(join(dir, 'bzImage'), Buffer.concat([Buffer.alloc(512), packed]));
    await expect(extractPvhVmlinux(join(dir, 'bzImage'), join(dir, 'vmlinux'))).resolves.toBe(false);
    expect(existsSync(join(dir, 'vmlinux'))).toBe(false);
    expect(readdirSync(dir)).toEqual(['bzImage']);
  });
});
