/**
 * A faster way into the same kernel: Debian's bzImage carries its vmlinux compressed with xz, and
 * under QEMU TCG unpacking it in the guest (`arch/x86/boot/compressed`) costs most of a boot. The
 * vmlinux inside is an ELF with a `XEN_ELFNOTE_PHYS32_ENTRY` note (`CONFIG_PVH=y`,
 * `arch/x86/platform/pvh/head.S`), which QEMU's `-kernel` boots directly through the PVH entry
 * (`hw/i386/x86.c` x86_load_linux → pvh option ROM). So the host unpacks it once, with `xz`, and
 * the guest runs the very same kernel code without the decompressor.
 */
import { childProcess } from '../node-builtins.ts';
import { closeSync, createWriteStream, openSync, readSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';

/** `XEN_ELFNOTE_PHYS32_ENTRY` (`xen/include/public/elfnote.h`). */
export const XEN_ELFNOTE_PHYS32_ENTRY = 18;
const XZ_MAGIC = Uint8Array.of(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00);
const PT_NOTE = 4;

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const read = readSync(fd, buffer, 0, length, position);
  return buffer.subarray(0, read);
}

/** True when `path` is a 64-bit little-endian ELF with a Xen PVH entry note in a PT_NOTE segment. */
export function hasPvhEntry(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return false;
  }
  try {
    const header = readAt(fd, 0, 64);
    if (header.length < 64 || header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return false;
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const size = statSync(path).size;
    for (let index = 0; index < phnum; index += 1) {
      const phdr = readAt(fd, phoff + index * phentsize, 56);
      if (phdr.length < 56 || phdr.readUInt32LE(0) !== PT_NOTE) continue;
      const offset = Number(phdr.readBigUInt64LE(0x08));
      const length = Number(phdr.readBigUInt64LE(0x20));
      if (offset + length > size || length > 1 << 20) continue;
      const notes = readAt(fd, offset, length);
      let at = 0;
      while (at + 12 <= notes.length) {
        const nameSize = notes.readUInt32LE(at);
        const descSize = notes.readUInt32LE(at + 4);
        const type = notes.readUInt32LE(at + 8);
        const name = notes.subarray(at + 12, at + 12 + nameSize).toString('latin1');
        if (name === 'Xen\0' && type === XEN_ELFNOTE_PHYS32_ENTRY) return true;
        at += 12 + Math.ceil(nameSize / 4) * 4 + Math.ceil(descSize / 4) * 4;
      }
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/** Where the xz stream starts in a bzImage, or -1. */
export function findXzPayload(image: Uint8Array): number {
  for (let index = 0; index + XZ_MAGIC.length <= image.length; index += 1) {
    if (XZ_MAGIC.every((byte, offset) => image[index + offset] === byte)) return index;
  }
  return -1;
}

/**
 * Unpacks the vmlinux of the bzImage at `bzImage` into `target` (written beside it, then renamed).
 * Returns false, leaving nothing behind, when the image holds no xz payload, `xz` is missing, or
 * the result is not a PVH-bootable ELF.
 */
export async function extractPvhVmlinux(bzImage: string, target: string): Promise<boolean> {
  const image = readFileSync(bzImage);
  const start = findXzPayload(image);
  if (start < 0) return false;
  const partial = `${target}.partial-${process.pid}`;
  try {
    const ok = await new Promise<boolean>((resolve) => {
      const out = createWriteStream(partial);
      const child = childProcess().spawn('xz', ['--decompress', '--stdout', '--single-stream'], { stdio: ['pipe', 'pipe', 'ignore'] });
      child.on('error', () => resolve(false));
      child.stdout.pipe(out);
      let status: number | null = null;
      let flushed = false;
      const settle = (): void => {
        if (status !== null && flushed) resolve(status === 0);
      };
      child.on('close', (code) => {
        status = code ?? 1;
        settle();
      });
      out.on('close', () => {
        flushed = true;
        settle();
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(image.subarray(start));
    });
    if (!ok || !hasPvhEntry(partial)) return false;
    renameSync(partial, target);
    return true;
  } finally {
    rmSync(partial, { force: true });
  }
}
