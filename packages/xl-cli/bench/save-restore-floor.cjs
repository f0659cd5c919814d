/* global process, require */
// The least an `xl save` or `xl restore` of a guest whose memory is in a memory file can cost on this
// runtime, for save-restore-host.mjs to set beside them: a Node process that moves the same bytes the
// same way, and nothing else. `save`: reads <from> 4 MiB at a time (a PAGE_DATA record's pages) and
// writes each piece to a new file beside <to>, syncs it and renames it over <to> (as xl replaces a
// save file). `restore`: reads <from> 1 MiB at a time and writes it to a new file <to>, then syncs it
// (as a restore fills a memory file). No host file, no stream records, no checks.
// Usage: node save-restore-floor.cjs save|restore <from> <to>
'use strict';
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS, as xl's own launcher
const { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } = require('node:fs');

const [mode, from, to] = process.argv.slice(2);
const source = openSync(from, 'r');
const written = mode === 'save' ? `${to}.tmp` : to;
if (mode !== 'save') rmSync(to, { force: true });
const target = openSync(written, 'wx');
const buffer = new Uint8Array(mode === 'save' ? 4 << 20 : 1 << 20);
for (let position = 0; ; ) {
  let filled = 0;
  while (filled < buffer.length) {
    const read = readSync(source, buffer, filled, buffer.length - filled, position + filled);
    if (read === 0) break;
    filled += read;
  }
  if (filled === 0) break;
  for (let done = 0; done < filled; ) done += writeSync(target, buffer, done, filled - done);
  position += filled;
}
fsyncSync(target);
closeSync(target);
closeSync(source);
if (mode === 'save') renameSync(written, to);
