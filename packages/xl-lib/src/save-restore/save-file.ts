/**
 * Save files on disk. xl opens the target with `O_WRONLY|O_CREAT|O_TRUNC` before it suspends
 * anything and writes as it goes (`save_domain` in `tools/xl/xl_saverestore.c`). We open the target
 * first too, so a directory, `""` or a path with a trailing slash fails before the domain is
 * touched, and a device node or FIFO is written through, never replaced. A regular file (also one
 * reached through a symlink, which stays) gets the image through a temporary file in its directory,
 * fsync'd and renamed over it, so it holds either the old contents or a whole new image.
 */
import { closeSync, constants, existsSync, fchmodSync, fstatSync, fsyncSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { XlError, wrapFailure } from '../errors.ts';
import { randomBytes } from '../random-bytes.ts';
import { bufferSource } from '../stream/byte-source.ts';
import { readSaveImage, type ReadSaveImageOptions, type SaveImage } from '../stream/save-image.ts';

/** An opened save target: bytes go in order; `commit` makes them durable at the target. */
export interface SaveFileTarget {
  write(bytes: Uint8Array): void;
  /** The image is complete: fsync'd and, for a regular file, renamed into place. */
  commit(): void;
  /** Gives up: the target is left as it was. */
  abort(): void;
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
}

/** Whether process `pid` still runs (EPERM: it does, as another user's). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files that saves to `target` left when they were killed before their
 * rename (`.<name>.<pid>.<random>.tmp` of a process that no longer runs): the guest ran on, and a
 * new save to the same target is under way.
 */
function removeLeftovers(target: string): void {
  const name = basename(target);
  let entries: string[];
  try {
    entries = readdirSync(dirname(target));
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(`.${name}.`)) continue;
    const match = /^\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(entry.slice(name.length + 1));
    if (match && !processRuns(Number(match[1]))) rmSync(join(dirname(target), entry), { force: true });
  }
}

/**
 * Opens `path` as xl's `save_domain` does, before anything is suspended. Throws `XlError('FAIL')`
 * whose `cause` is the Node error (ENOENT for `""`, EISDIR for a directory...).
 */
export function openSaveFile(path: string): SaveFileTarget {
  const existed = existsSync(path);
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT, 0o644);
  } catch (error) {
    throw new XlError('FAIL', `Failed to open temp file ${path} for writing: ${(error as Error).message}`, { cause: error });
  }
  const stats = fstatSync(fd);
  if (!stats.isFile()) {
    // A device node, FIFO or socket: the image is written into it, as xl does.
    return {
      write: (bytes) => writeAll(fd, bytes),
      commit() {
        try {
          fsyncSync(fd);
        } catch {
          // Not every device can sync (EINVAL): what was written went to it.
        }
        closeSync(fd);
      },
      abort: () => closeSync(fd),
    };
  }
  closeSync(fd);
  const real = realpathSync(path);
  // Created only to learn that it can be: the image arrives whole, by rename, or not at all.
  if (!existed) rmSync(real, { force: true });
  removeLeftovers(real);
  const temporary = join(dirname(real), `.${basename(real)}.${process.pid}.${Buffer.from(randomBytes(4)).toString('hex')}.tmp`);
  let tempFd: number | undefined;
  const abort = (): void => {
    if (tempFd !== undefined) closeSync(tempFd);
    tempFd = undefined;
    rmSync(temporary, { force: true });
  };
  try {
    tempFd = openSync(temporary, 'wx', 0o644);
    if (existed) fchmodSync(tempFd, stats.mode & 0o7777);
  } catch (error) {
    abort();
    throw new XlError('FAIL', `Failed to open temp file ${path} for writing: ${(error as Error).message}`, { cause: error });
  }
  return {
    write(bytes) {
      if (tempFd === undefined) throw new XlError('FAIL', `save file ${path} is closed`);
      writeAll(tempFd, bytes);
    },
    commit() {
      if (tempFd === undefined) throw new XlError('FAIL', `save file ${path} is closed`);
      fsyncSync(tempFd);
      closeSync(tempFd);
      tempFd = undefined;
      renameSync(temporary, real);
      // The rename itself is durable once the directory is.
      const directory = openSync(dirname(real), 'r');
      try {
        fsyncSync(directory);
      } finally {
        closeSync(directory);
      }
    },
    abort,
  };
}

/** Writes every chunk to `path` (see `openSaveFile`) and makes it durable; returns the length. */
export function writeSaveFile(path: string, chunks: Iterable<Uint8Array>): number {
  const target = openSaveFile(path);
  let written = 0;
  try {
    for (const chunk of chunks) {
      target.write(chunk);
      written += chunk.length;
    }
    target.commit();
    return written;
  } catch (error) {
    target.abort();
    throw XlError.is(error) ? error : wrapFailure(`failed to write save file ${path}`, error);
  }
}

/**
 * Reads and parses a whole save file. The file is only read. Bytes after the image's libxl END
 * record are an error (a save file holds exactly one image).
 */
export async function readSaveFile(path: string, options: ReadSaveImageOptions = {}): Promise<SaveImage> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new XlError('INVAL', `Can't open restore file: ${path}: ${(error as Error).message}`, { cause: error });
  }
  let image: SaveImage;
  try {
    image = await readSaveImage(bufferSource(bytes), options);
  } catch (error) {
    if (XlError.is(error)) throw new XlError(error.code, `${path}: ${error.message}`, { cause: error });
    throw error;
  }
  if (image.length !== bytes.length) {
    throw new XlError('INVAL', `${path}: ${bytes.length - image.length} unexpected bytes after the end of the save image`);
  }
  return image;
}
