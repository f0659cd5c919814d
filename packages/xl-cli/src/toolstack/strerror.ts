/** `strerror(errno)` (glibc's English texts) for the errors Node reports by code. */
const STRERROR: Readonly<Record<string, string>> = {
  EACCES: 'Permission denied',
  EBADF: 'Bad file descriptor',
  EEXIST: 'File exists',
  EIO: 'Input/output error',
  EISDIR: 'Is a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  ENOENT: 'No such file or directory',
  ENOSPC: 'No space left on device',
  ENOTDIR: 'Not a directory',
  ENOTTY: 'Inappropriate ioctl for device',
  EPERM: 'Operation not permitted',
  EPIPE: 'Broken pipe',
  EROFS: 'Read-only file system',
};

/** `strerror(errno)` for a Node error; its message when the code is not one of the table's. */
export function strerrorOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return (typeof code === 'string' ? STRERROR[code] : undefined) ?? (error instanceof Error ? error.message : String(error));
}
