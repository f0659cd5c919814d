/* global process */
// Whole-process timing the startup benchmarks share: paired, interleaved runs of a command and a
// baseline, each pair's wall-time ratio, and the CPU time (user + system) of the children.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What this process's reaped children have used so far, from /proc/self/stat: user + system
 * seconds (fields cutime and cstime, in clock ticks of 1/100 s) and minor page faults (cminflt: the
 * pages they touched first); undefined where /proc is not there.
 */
function childUsage() {
  try {
    const stat = readFileSync('/proc/self/stat', 'latin1');
    // Fields after the command name (which may hold spaces), counted from field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { cpuSeconds: (Number(fields[13]) + Number(fields[14])) / 100, minorFaults: Number(fields[8]) };
  } catch {
    return undefined;
  }
}

/**
 * Runs `command args...` once; returns wall milliseconds, and the child's CPU seconds and minor page
 * faults. Throws on a non-zero exit.
 */
export function runCommand(command, args, options) {
  const before = childUsage();
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { ...options, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const after = childUsage();
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return {
    wallMs,
    cpuSeconds: before === undefined ? undefined : after.cpuSeconds - before.cpuSeconds,
    minorFaults: before === undefined ? undefined : after.minorFaults - before.minorFaults,
    stdout: result.stdout,
  };
}

/** Runs `node args...` once (see `runCommand`). */
export const runNode = (args, options) => runCommand(process.execPath, args, options);

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/**
 * `rounds` pairs of (baseline, subject), run alternately (the order flips every round so neither
 * side always runs second). `after` runs untimed after each subject (e.g. destroy what it made).
 * Returns the subject's median wall ms, the median of the per-pair wall ratios, and the ratio of
 * summed CPU times (clock ticks are coarse: sums over every round, not per-pair ratios); the
 * median of the pairs' differences in minor page faults (the pages the subject touched first beyond
 * the baseline's); and the baseline's median wall ms and mean CPU ms, to turn a ratio back into time.
 */
export function pairedRuns({ baseline, subject, after, rounds }) {
  const ratios = [];
  const walls = [];
  const baseWalls = [];
  const extraFaults = [];
  let subjectCpu = 0;
  let baselineCpu = 0;
  for (let round = 0; round < rounds; round += 1) {
    let base;
    let run;
    if (round % 2 === 0) {
      base = baseline();
      run = subject();
    } else {
      run = subject();
      base = baseline();
    }
    after?.();
    ratios.push(run.wallMs / base.wallMs);
    walls.push(run.wallMs);
    baseWalls.push(base.wallMs);
    extraFaults.push((run.minorFaults ?? Number.NaN) - (base.minorFaults ?? Number.NaN));
    subjectCpu += run.cpuSeconds ?? Number.NaN;
    baselineCpu += base.cpuSeconds ?? Number.NaN;
  }
  return {
    wallMs: median(walls),
    wallRatio: median(ratios),
    spread: [Math.min(...ratios), Math.max(...ratios)],
    cpuRatio: subjectCpu / baselineCpu,
    extraFaults: median(extraFaults),
    baselineWallMs: median(baseWalls),
    baselineCpuMs: (baselineCpu * 1000) / rounds,
  };
}

/** Bytes a host takes on disk: its file, its write-ahead log and its memory files (`<file>.memory/`). */
export function hostBytes(path) {
  const memory = `${path}.memory`;
  const files = [path, `${path}-wal`, ...(existsSync(memory) ? readdirSync(memory).map((name) => join(memory, name)) : [])];
  return files.reduce((sum, file) => sum + (existsSync(file) ? statSync(file).size : 0), 0);
}
