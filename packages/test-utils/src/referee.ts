/**
 * Referees are Debian's real Xen tools (xenstore-utils, acpica-tools, xen-utils-4.17, libxen-dev,
 * qemu). A test that needs one skips with a visible reason where it is missing; with
 * `XEN_GENID_REQUIRE_REFEREES=1` (set by `.ci/run`) a missing referee is a failure instead.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it } from 'vitest';

export interface Referee {
  /** What the tests need, for messages: `xenstore-read (xenstore-utils)`. */
  readonly name: string;
  /** Absolute paths of the files found, by the name they were asked for. */
  readonly paths: Record<string, string>;
  /** Why it is unusable, or undefined when everything was found. */
  readonly missing: string | undefined;
}

export const requireReferees = (): boolean => process.env.XEN_GENID_REQUIRE_REFEREES === '1';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Looks each file up: absolute paths as given, bare names on PATH. */
export function findReferee(name: string, files: readonly string[]): Referee {
  const paths: Record<string, string> = {};
  const absent: string[] = [];
  for (const file of files) {
    const candidates = file.startsWith('/')
      ? [file]
      : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, file));
    const found = candidates.find(isExecutable);
    if (found) paths[file] = found;
    else absent.push(file);
  }
  const missing = absent.length > 0 ? `${name} not installed (missing: ${absent.join(', ')})` : undefined;
  return { name, paths, missing };
}

/**
 * `describe` for tests that need `referee`: runs them when it is installed; otherwise a skipped
 * suite whose title carries the reason, or, under `XEN_GENID_REQUIRE_REFEREES=1`, one failing test.
 */
export function describeWithReferee(title: string, referee: Referee, body: () => void): void {
  if (!referee.missing) {
    describe(title, body);
    return;
  }
  if (requireReferees()) {
    describe(title, () => {
      it('has its referee installed', () => {
        throw new Error(`${referee.missing}; XEN_GENID_REQUIRE_REFEREES=1 forbids skipping`);
      });
    });
    return;
  }
  console.warn(`skipping "${title}": ${referee.missing}`);
  describe.skip(`${title} (skipped: ${referee.missing})`, body);
}
