/**
 * Save files on disk. xl opens the target with `O_WRONLY|O_CREAT|O_TRUNC` and writes as it goes
 * (`save_domain` in `tools/xl/xl_saverestore.c`), so a failed save leaves a partial file; we write
 * to a temporary name in the same directory and rename it over the target only once complete, so
 * the target is either the old file or a whole new image.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { XlError, wrapFailure } from '../errors.ts';
import { bufferSource } from '../stream/byte-source.ts';
import { readSaveImage, type SaveImage } from '../stream/save-image.ts';

/** Writes every chunk to `path` through a temporary file renamed into place at the end. */
export function writeSaveFile(path: string, chunks: Iterable<Uint8Array>): number {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  let written = 0;
  try {
    fd = openSync(temporary, 'wx', 0o644);
    for (const chunk of chunks) {
      let at = 0;
      while (at < chunk.length) at += writeSync(fd, chunk, at, chunk.length - at);
      written += chunk.length;
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, path);
    return written;
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temporary, { force: true });
    throw XlError.is(error) ? error : wrapFailure(`failed to write save file ${path}`, error);
  }
}

/**
 * Reads and parses a whole save file. The file is only read. Bytes after the image's libxl END
 * record are an error (a save file holds exactly one image).
 */
export async function readSaveFile(path: string): Promise<SaveImage> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new XlError('INVAL', `Can't open restore file: ${path}: ${(error as Error).message}`, { cause: error });
  }
  let image: SaveImage;
  try {
    image = await readSaveImage(bufferSource(bytes));
  } catch (error) {
    if (XlError.is(error)) throw new XlError(error.code, `${path}: ${error.message}`, { cause: error });
    throw error;
  }
  if (image.length !== bytes.length) {
    throw new XlError('INVAL', `${path}: ${bytes.length - image.length} unexpected bytes after the end of the save image`);
  }
  return image;
}
