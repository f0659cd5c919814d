/**
 * How long operations report their progress: libxc's `xc_report_progress_step` and
 * `xc_report_progress_single` (`tools/libs/ctrl/xc_private.c`), which call `xtl_progress` on the
 * logger the toolstack gave libxl (context `"xc"`). The library only reports; the toolstack's
 * logger decides what reaches a terminal or a log (xl: `xtl_stdiostream`).
 */

/**
 * `doingWhat` has reached `done` of `total` units (frames); `total` 0 is a single event
 * (`xc_report_progress_single`: "Start of stream", "End of stream").
 */
export type ProgressReport = (doingWhat: string, done: number, total: number) => void;

/**
 * libxc's informational messages (`IPRINTF`: `xc_report` at `XTL_INFO` on the same logger, context
 * `"xc"`), e.g. `Saving domain 2, type x86 HVM` (`tools/libs/guest/xg_sr_save.c`, `xg_sr_restore.c`).
 */
export type LibxcLog = (message: string) => void;

/** What a save or a migration's sender reports, as libxc's `send_all_pages` does. */
export const PROGRESS_FRAMES_SENT = 'Frames';
/** What a restore or a migration's receiver reports (beyond Xen: libxc's restore reports nothing). */
export const PROGRESS_FRAMES_RESTORED = 'Frames restored';
/** libxc's single events around the pages (`xc_report_progress_single` in `xg_sr_save.c`). */
export const PROGRESS_START_OF_STREAM = 'Start of stream';
export const PROGRESS_END_OF_STREAM = 'End of stream';
