/**
 * Where the host file lives when nobody says: the XDG state directory, as the XDG Base Directory
 * specification places per-user state that persists between runs.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { HostError } from './errors.ts';

/** The environment variable naming the host file, as a global option of `xl` would. */
export const HOST_ENV = 'XEN_GENID_HOST';

export interface HostPathOptions {
  /** An explicit path: always wins (`xl --host FILE`). */
  readonly explicit?: string;
  /** Home directory (default `os.homedir()`). */
  readonly home?: string;
}

/**
 * The host file to use: `options.explicit`, else `$XEN_GENID_HOST`, else
 * `$XDG_STATE_HOME/xen-genid/host.db` (an absolute `XDG_STATE_HOME` only, as the XDG spec says),
 * else `~/.local/state/xen-genid/host.db`. Relative explicit or env paths resolve against the
 * current directory. Pure: it creates nothing.
 */
export function defaultHostPath(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: HostPathOptions = {},
): string {
  if (options.explicit !== undefined) {
    if (options.explicit === '') throw new HostError('INVALID_ARGUMENT', 'the host file path is empty');
    return resolve(options.explicit);
  }
  const fromEnv = env[HOST_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  const stateHome = env.XDG_STATE_HOME;
  if (stateHome !== undefined && isAbsolute(stateHome)) return join(stateHome, 'xen-genid', 'host.db');
  const home = options.home ?? env.HOME ?? homedir();
  return join(home, '.local', 'state', 'xen-genid', 'host.db');
}
