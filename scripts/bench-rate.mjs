/* global process */
// The timing loop the benchmarks share: how many times per second `body(i)` runs.

/**
 * Runs `body(i)` (i counting from 0) for about `ms` milliseconds of wall time, `batch` calls between
 * clock reads, after `warmup` untimed calls; returns calls per second of wall time, and (as `cpu`)
 * per second of this process's CPU time (user + system), which time taken by other processes on a
 * shared machine does not move.
 */
export function rates(body, ms, { batch = 1, warmup = 0 } = {}) {
  for (let index = 0; index < warmup; index += 1) body(index);
  let operations = 0;
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  const limit = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < limit) {
    for (let index = 0; index < batch; index += 1) body(operations + index);
    operations += batch;
    now = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpuStart);
  return { wall: (operations * 1e9) / Number(now - start), cpu: (operations * 1e6) / Math.max(1, cpu.user + cpu.system) };
}

/** Calls per second of wall time (`rates`). */
export function rate(body, ms, options) {
  return rates(body, ms, options).wall;
}
