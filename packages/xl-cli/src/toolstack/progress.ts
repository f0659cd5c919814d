/**
 * Progress of long operations (save, restore, migrate), drawn on a terminal as libxc's
 * `xtl_stdiostream` draws `Frames` progress: one line rewritten with `\r`, finished with a
 * newline. Nothing is printed when stderr is not a terminal.
 */
import type { OutputStream } from '../command-table.ts';

export interface Progress {
  /** `bytes` more are done. */
  advance(bytes: number): void;
  /** Ends the line (if one was drawn). */
  done(): void;
}

const KIB = 1024;
const MIB = 1024 * 1024;

/** Sizes in KiB below 10 MiB, in MiB above. */
function size(bytes: number, total: number): string {
  return total < 10 * MIB ? `${Math.round(bytes / KIB)}` : (bytes / MIB).toFixed(1);
}

/** How often a progress line of unknown total is redrawn. */
const UNKNOWN_TOTAL_STEP = 64 * KIB;

/** `total` undefined: the size is not known in advance (a stream), so only bytes are shown. */
export function createProgress(stderr: OutputStream, terminal: boolean, label: string, total: number | undefined): Progress {
  if (!terminal) return { advance() {}, done() {} };
  let doneBytes = 0;
  let lastMark = -1;
  let drawn = false;
  const draw = (): void => {
    if (total === undefined) {
      const mark = Math.floor(doneBytes / UNKNOWN_TOTAL_STEP);
      if (mark === lastMark) return;
      lastMark = mark;
      drawn = true;
      stderr.write(`\r${label}: ${Math.round(doneBytes / KIB)} KiB`);
      return;
    }
    const percent = total > 0 ? Math.min(100, Math.floor((doneBytes * 100) / total)) : 100;
    if (percent === lastMark) return;
    lastMark = percent;
    drawn = true;
    stderr.write(`\r${label}: ${size(Math.min(doneBytes, total), total)}/${size(total, total)} ${total < 10 * MIB ? 'KiB' : 'MiB'} ${String(percent).padStart(3)}%`);
  };
  return {
    advance(bytes) {
      doneBytes += bytes;
      draw();
    },
    done() {
      if (drawn) stderr.write('\n');
      drawn = false;
    },
  };
}
