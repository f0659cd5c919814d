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
};

/** `strerror(errno)` for a Node file error. */
export function strerrorOf(error: unknown): string {
  const code = (error as { code?: string }).code;
  return (code && STRERROR[code]) ?? (error as Error).message;
}

/** The parsed config, or the exit status after the messages were printed. */
export function loadConfigFile(path: string, context: CommandContext, options: { readonly quiet?: boolean } = {}): DomainConfig | number {
  let data: Uint8Array;
  try {
    data = context.readFile(path);
  } catch (error) {
    context.stderr.write(`Failed to read config file: ${path}: ${strerrorOf(error)}\n`);
    return 3;
  }
  if (!options.quiet) context.stderr.write(`Parsing config from ${path}\n`);
  const parsed = parseConfigData(data, { source: path, ...(context.random ? { random: context.random } : {}) });
  for (const diagnostic of parsed.diagnostics) context.stderr.write(`${diagnostic.message}\n`);
  return parsed.config ?? parsed.exitCode ?? 1;
}
