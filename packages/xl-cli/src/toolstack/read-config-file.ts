/**
 * `libxl_read_file_contents` (`tools/libs/light/libxl_utils.c`) as xl reads a config file: what is
 * not a plain file (a device such as `/dev/zero`, a FIFO) is refused at once, with errno ENOTTY,
 * instead of being read without end. A FIFO is opened without waiting for a writer.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/** The error of a config that is not a plain file: `code` ENOTTY, libxl's log line as its message. */
export class NotPlainFileError extends Error {
  readonly code = 'ENOTTY';
  constructor(path: string) {
    super(`libxl: error: libxl_utils.c:346:libxl_read_file_contents: ${path} is not a plain file`);
    this.name = 'NotPlainFileError';
  }
}

export function readConfigFile(path: string): Uint8Array {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFile()) throw new NotPlainFileError(path);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
