/**
 * Reading and parsing an xl.cfg for the commands that take one besides `create` (`save dom file
 * cfg`, `restore cfg file`, `migrate -C cfg`): xl's `Parsing config from F`, libxlutil's
 * diagnostics, and `Failed to read config file: F: <strerror>`.
 */
import type { DomainConfig } from '@xen-genid/xl-lib';
import type { CommandContext } from '../command-table.ts';
import { parseConfigData } from '../config/to-domain-config.ts';

const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  ENOTTY: 'Inappropriate ioctl for device',
};

/** `strerror(errno)` for a Node file error. */
export function strerrorOf(error: unknown): string {
  const code = (error as { code?: string }).code;
  return (code && STRERROR[code]) ?? (error as Error).message;
}

/** xl's `Failed to read config file: F: <strerror>`, after libxl's own line when it logged one. */
export function reportReadFailure(context: CommandContext, path: string, error: unknown): void {
  if (error instanceof Error && error.name === 'NotPlainFileError') context.stderr.write(`${error.message}\n`);
  context.stderr.write(`Failed to read config file: ${path}: ${strerrorOf(error)}\n`);
}

/** The parsed config, or the exit status after the messages were printed. */
export function loadConfigFile(path: string, context: CommandContext, options: { readonly quiet?: boolean } = {}): DomainConfig | number {
  let data: Uint8Array;
  try {
    data = context.readFile(path);
  } catch (error) {
    reportReadFailure(context, path, error);
    return 3;
  }
  if (!options.quiet) context.stderr.write(`Parsing config from ${path}\n`);
  const parsed = parseConfigData(data, { source: path, ...(context.random ? { random: context.random } : {}) });
  for (const diagnostic of parsed.diagnostics) context.stderr.write(`${diagnostic.message}\n`);
  return parsed.config ?? parsed.exitCode ?? 1;
}
