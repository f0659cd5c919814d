/**
 * QMP, the QEMU Machine Protocol (`docs/interop/qmp-spec.rst`), spoken synchronously: libxl's
 * `libxl__qmp_*` (`tools/libs/light/libxl_qmp.c`) talks to qemu-xen over a Unix socket the same way,
 * one command at a time. The toolstack here is synchronous, so each batch runs in a short child
 * process (`spawnSync`) that connects, negotiates capabilities, runs the commands in order and
 * prints one JSON line of results. A batch stops at the first error.
 */
import { childProcess } from './node-builtins.ts';
import { QemuDmError } from './errors.ts';

export interface QmpCommand {
  readonly execute: string;
  readonly arguments?: Record<string, unknown>;
}

/** Waits in the child, between commands, until the outgoing or incoming migration has ended. */
export interface QmpWaitMigration {
  readonly waitMigration: true;
}

export type QmpStep = QmpCommand | QmpWaitMigration;


/** The child: plain JavaScript, no imports from this package. */
const CHILD = String.raw`
const net = require('node:net');
const [socketPath, stepsJson] = process.argv.slice(1);
const steps = JSON.parse(stepsJson);
const results = [];
const done = (error) => { process.stdout.write(JSON.stringify({ results, error })); process.exit(0); };
const sock = net.connect(socketPath);
sock.on('error', (e) => done({ desc: 'cannot connect to ' + socketPath + ': ' + e.code }));
let buffer = '';
let waiting;
sock.on('data', (chunk) => {
  buffer += chunk;
  let at;
  while ((at = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, at).trim();
    buffer = buffer.slice(at + 1);
    if (!line) continue;
    const message = JSON.parse(line);
    if (message.event) continue;
    const resolve = waiting; waiting = undefined; if (resolve) resolve(message);
  }
});
sock.on('close', () => { if (waiting) done({ desc: 'QEMU closed the QMP connection' }); });
const reply = () => new Promise((resolve) => { waiting = resolve; });
const send = (execute, args) => { const p = reply(); sock.write(JSON.stringify(args ? { execute, arguments: args } : { execute }) + '\n'); return p; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
sock.on('connect', async () => {
  await reply();
  const caps = await send('qmp_capabilities');
  if (caps.error) return done(caps.error);
  for (const step of steps) {
    if (step.waitMigration) {
      for (;;) {
        const status = await send('query-migrate');
        if (status.error) return done(status.error);
        const state = status.return.status;
        if (state === 'completed') { results.push(status.return); break; }
        if (state === 'failed' || state === 'cancelled') return done({ class: 'MigrationFailed', desc: status.return['error-desc'] || 'migration ' + state });
        if (state === undefined) {
          const run = await send('query-status');
          if (run.return && run.return.status !== 'inmigrate') { results.push(run.return); break; }
        }
        await sleep(20);
      }
      continue;
    }
    const answer = await send(step.execute, step.arguments);
    if (answer.error) return done(answer.error);
    results.push(answer.return);
    if (step.execute === 'quit') break;
  }
  sock.end();
  done();
});
`;

/**
 * Runs `steps` on the QMP socket at `socketPath` and returns each command's `return` value.
 * Throws `QemuDmError` (`QMP`) when QEMU cannot be reached, answers an error, or the batch times out.
 */
export function qmpRun(socketPath: string, steps: readonly QmpStep[], options: { timeoutMs?: number } = {}): unknown[] {
  const child = childProcess().spawnSync(process.execPath, ['-e', CHILD, socketPath, JSON.stringify(steps)], {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 30_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.error || child.status !== 0) {
    const why = child.error?.message ?? (child.stderr.trim() || `exit status ${String(child.status)}`);
    throw new QemuDmError('QMP', `QMP on ${socketPath}: ${why}`);
  }
  const answer = JSON.parse(child.stdout) as { results: unknown[]; error?: { class?: string; desc?: string } };
  if (answer.error) throw new QemuDmError('QMP', `QMP on ${socketPath}: ${answer.error.desc ?? 'error'}`, answer.error.class);
  return answer.results;
}
