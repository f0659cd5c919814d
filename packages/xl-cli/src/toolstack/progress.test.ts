import { describe, expect, it } from 'vitest';
import { createStdioLogger, PROGRESS_REDRAW_INTERVAL_MS } from './progress.ts';

function sink() {
  const out = { text: '' };
  return { out, stream: { write: (chunk: string | Uint8Array) => (out.text += String(chunk)) } };
}

/** libxc's save of `frames` frames: a step every 1024 (4 MiB), the last, then "End of stream". */
function save(report: (what: string, done: number, total: number) => void, frames: number): void {
  report('Start of stream', 0, 0);
  for (let done = 0; done < frames; done += 1024) report('Frames', done, frames);
  report('Frames', frames, frames);
  report('End of stream', 0, 0);
}

describe("xl's stdio logger (xtl_stdiostream)", () => {
  it('without carriage returns writes a progress line at each move of 5% or more, and the end', () => {
    const err = sink();
    const logger = createStdioLogger(err.stream, { useCr: false });
    save((what, done, total) => logger.progress('xc', what, done, total), 8192);
    expect(err.out.text).toBe(
      [
        'xc: progress: Frames: 1024/8192   12%',
        'xc: progress: Frames: 2048/8192   25%',
        'xc: progress: Frames: 3072/8192   37%',
        'xc: progress: Frames: 4096/8192   50%',
        'xc: progress: Frames: 5120/8192   62%',
        'xc: progress: Frames: 6144/8192   75%',
        'xc: progress: Frames: 7168/8192   87%',
        'xc: progress: Frames: 8192/8192  100%',
        'xc: progress: End of stream: 0/0    0%',
        '',
      ].join('\n'),
    );
  });

  it('a 256 MiB save into a log: a line at least every 5%, each with its total', () => {
    const err = sink();
    const logger = createStdioLogger(err.stream, { useCr: false });
    save((what, done, total) => logger.progress('xc', what, done, total), 65536);
    const lines = err.out.text.trimEnd().split('\n');
    const percents = lines.filter((line) => line.includes('Frames')).map((line) => Number(/(\d+)%$/.exec(line)![1]));
    expect(lines.every((line) => /^xc: progress: (Frames: \d+\/65536|End of stream: 0\/0) +\d+%$/.test(line))).toBe(true);
    expect(percents.at(-1)).toBe(100);
    // A line whenever 5 points have passed: no gap wider than 5 points plus one step (1.56%).
    const gaps = percents.map((percent, index) => percent - (percents[index - 1] ?? 0));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(6);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(5);
  });

  it('under -v also writes the smaller moves, at level detail', () => {
    const err = sink();
    const logger = createStdioLogger(err.stream, { useCr: false, verbose: 1 });
    logger.progress('xc', 'Frames', 1, 100);
    logger.progress('xc', 'Frames', 2, 100);
    logger.progress('xc', 'Frames', 9, 100);
    expect(err.out.text).toBe('xc: detail: Frames: 1/100    1%\nxc: detail: Frames: 2/100    2%\nxc: progress: Frames: 9/100    9%\n');
  });

  it('always shows the end, even within 5 points of the step before', () => {
    const err = sink();
    const logger = createStdioLogger(err.stream, { useCr: false });
    logger.progress('xc', 'Frames', 4096, 4099);
    logger.progress('xc', 'Frames', 4099, 4099);
    expect(err.out.text).toBe('xc: progress: Frames: 4096/4099   99%\nxc: progress: Frames: 4099/4099  100%\n');
  });

  it('with carriage returns redraws one line, clears what a longer line left, and ends it at done = total', () => {
    const err = sink();
    let clock = 0;
    const logger = createStdioLogger(err.stream, { useCr: true, now: () => (clock += 1000) });
    logger.progress('xc', 'Frames iteration 0', 10, 100);
    logger.progress('xc', 'Frames', 50, 100);
    logger.progress('xc', 'Frames', 100, 100);
    logger.progress('xc', 'End of stream', 0, 0);
    expect(err.out.text).toBe(
      'xc: Frames iteration 0: 10/100   10%' +
        '\rxc: Frames: 50/100   50%            \r' +
        '\rxc: Frames: 100/100  100%\n' +
        'xc: End of stream: 0/0    0%\n',
    );
  });

  it('redraws at most ten times a second; the last step always shows', () => {
    const err = sink();
    let clock = 0;
    const logger = createStdioLogger(err.stream, { useCr: true, verbose: 1, now: () => clock });
    for (let done = 1; done <= 1000; done += 1) {
      clock += 1; // 1,000 steps in one second
      logger.progress('xc', 'Frames', done, 1000);
    }
    const redraws = err.out.text.split(/\r|\n/).filter((line) => line.trim() !== '');
    expect(redraws.length).toBeLessThanOrEqual(1000 / PROGRESS_REDRAW_INTERVAL_MS + 1);
    expect(redraws.length).toBeGreaterThanOrEqual(5);
    expect(err.out.text.endsWith('xc: Frames: 1000/1000  100%\n')).toBe(true);
  });

  it('a message erases an unfinished progress line first; destroy erases it too', () => {
    const err = sink();
    const logger = createStdioLogger(err.stream, { useCr: true });
    logger.progress('xc', 'Frames', 5, 10);
    logger.message('error', 'xl', 'gone');
    logger.progress('xc', 'Frames', 10, 20);
    logger.progress('xc', 'Frames', 4, 20);
    logger.destroy();
    const frames = 'xc: Frames: 5/10   50%';
    expect(err.out.text).toBe(`${frames}\r${' '.repeat(frames.length)}\rxl: error: gone\nxc: Frames: 4/20   20%\r${' '.repeat(frames.length)}\r`);
  });
});
