/**
 * xl's logger on stderr: libxentoollog's `xtl_stdiostream` (`tools/libs/toollog/xtl_logger_stdio.c`,
 * `stdiostream_progress`), made by `main` in `tools/xl/xl.c` with `minmsglevel` (XTL_PROGRESS,
 * one level lower per `-v`) and `XTL_STDIOSTREAM_PROGRESS_USE_CR` under `-t`, else
 * `isatty(stderr)`.
 *
 * Progress of `doing_what` is shown when its percentage moves: a move of 5 points or more (or a
 * restart) is at level `progress`, a smaller one at `detail` (shown only under `-v`). With
 * carriage returns the line is redrawn in place (`context: doing: done/total  pct%`), erased of
 * any longer earlier text and ended with a newline when done reaches total; without them each
 * step is a line of its own (`context: progress: doing: done/total  pct%`), so a pipe or a CI log
 * gets one at least every 5%. Beyond Xen: the end (done = total) always shows, even within 5 points
 * of the step before (xtl would leave the meter at 99%); redraws in place come at most 10 a second.
 */
import type { LibxcLog, ProgressReport } from '@xen-genid/xl-lib';
import type { CommandContext, GlobalOptions, OutputStream } from '../command-context.ts';
import { progressWanted } from './process-io.ts';

/** `xentoollog_level` in order, by the names `xtl_level_to_string` prints. */
const XTL_LEVELS = ['debug', 'verbose', 'detail', 'progress', 'info', 'notice', 'warning', 'error', 'critical'] as const;
export type XtlLevel = (typeof XTL_LEVELS)[number];

const rank = (level: XtlLevel): number => XTL_LEVELS.indexOf(level);

/** Least time between two redraws in place, in milliseconds. */
export const PROGRESS_REDRAW_INTERVAL_MS = 100;

export interface StdioLoggerOptions {
  /** Redraw the progress line with carriage returns (`progress_use_cr`). */
  readonly useCr: boolean;
  /** How many `-v` were given: the least level shown is `progress` lowered that many times. */
  readonly verbose?: number;
  /** Milliseconds, for the redraw limit (default `performance.now`). */
  readonly now?: () => number;
}

export interface StdioLogger {
  /** `xtl_progress`: `doingWhat` has reached `done` of `total`. */
  progress(context: string | undefined, doingWhat: string, done: number, total: number): void;
  /** `xtl_log` without errno: `context: level: text`, after erasing a progress line. */
  message(level: XtlLevel, context: string | undefined, text: string): void;
  /** `stdiostream_destroy`: erases a progress line left unfinished. */
  destroy(): void;
}

export function createStdioLogger(stream: OutputStream, options: StdioLoggerOptions): StdioLogger {
  const minLevel = Math.max(0, rank('progress') - (options.verbose ?? 0));
  const now = options.now ?? (() => performance.now());
  let eraseLength = 0;
  let lastPercent = 0;
  let lastDrawn = Number.NEGATIVE_INFINITY;
  const erase = (): void => {
    if (eraseLength > 0) stream.write(`\r${' '.repeat(eraseLength)}\r`);
    eraseLength = 0;
  };
  const message = (level: XtlLevel, context: string | undefined, text: string): void => {
    if (rank(level) < minLevel) return;
    erase();
    stream.write(`${context ? `${context}: ` : ''}${level}: ${text}\n`);
  };
  return {
    message,
    progress(context, doingWhat, done, total) {
      // xtl_progress's percentage, then stdiostream_progress's choice of level.
      const percent = total > 0 ? Math.floor((done * 100) / total) : 0;
      let level: XtlLevel;
      if (percent < lastPercent) level = 'progress';
      else if (percent === lastPercent) return;
      else level = percent < lastPercent + 5 && !(done === total && total > 0) ? 'detail' : 'progress';
      if (rank(level) < minLevel) return;
      const text = `${doingWhat}: ${done}/${total}  ${String(percent).padStart(3)}%`;
      if (!options.useCr) {
        lastPercent = percent;
        message(level, context, text);
        return;
      }
      const at = now();
      if (done !== total && percent > lastPercent && at - lastDrawn < PROGRESS_REDRAW_INTERVAL_MS) return;
      lastPercent = percent;
      lastDrawn = at;
      const body = `${context ? `${context}: ` : ''}${text}`;
      const rest = ' '.repeat(Math.max(0, eraseLength - body.length)); // what is left of a longer line
      const start = eraseLength > 0 ? '\r' : '';
      if (done === total) {
        stream.write(`${start}${body}${rest}\n`);
        eraseLength = 0;
      } else {
        stream.write(`${start}${body}${rest ? `${rest}\r` : ''}`);
        eraseLength = body.length;
      }
    },
    destroy: erase,
  };
}

/** xl's logger on a command's stderr: carriage returns under `-t` or when stderr is a terminal. */
export function xlLogger(context: CommandContext, global: Pick<GlobalOptions, 'verbose' | 'progressUseCr'>): StdioLogger {
  return createStdioLogger(context.stderr, { useCr: progressWanted(context, global), verbose: global.verbose });
}

/** libxc's progress (context `xc`) into `logger`, for xl-lib's save, restore and migration calls. */
export function xcProgress(logger: StdioLogger): ProgressReport {
  return (doingWhat, done, total) => logger.progress('xc', doingWhat, done, total);
}

/** libxc's messages (context `xc`, level `info`) into `logger`. */
export function xcLog(logger: StdioLogger): LibxcLog {
  return (message) => logger.message('info', 'xc', message);
}
