/**
 * The page `xl vm-genid --history --html FILE` writes, loaded in Debian's chromium driven over its
 * DevTools protocol (`--remote-debugging-pipe`: JSON messages ended by NUL on fds 3 and 4): it
 * loads without console errors or exceptions and shows the IDs `--history --json` reports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { describeWithReferee, findReferee } from '@xen-genid/test-utils';
import { memoryXl } from './__fixtures__/memory-xl.ts';

const chromium = findReferee('chromium (Debian)', ['chromium']);

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** A DevTools client over the browser's pipe. */
function devtools(browser: ChildProcess) {
  const toBrowser = browser.stdio[3] as Writable;
  const fromBrowser = browser.stdio[4] as Readable;
  let nextId = 1;
  let buffered = '';
  const pending = new Map<number, { resolve: (result: Record<string, unknown>) => void; reject: (error: Error) => void }>();
  const listeners: ((message: Message) => void)[] = [];
  fromBrowser.setEncoding('utf8');
  fromBrowser.on('data', (chunk: string) => {
    buffered += chunk;
    let end: number;
    while ((end = buffered.indexOf('\0')) >= 0) {
      const message = JSON.parse(buffered.slice(0, end)) as Message;
      buffered = buffered.slice(end + 1);
      if (message.id !== undefined) {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) waiter?.reject(new Error(message.error.message));
        else waiter?.resolve(message.result ?? {});
      } else for (const listener of listeners) listener(message);
    }
  });
  return {
    send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
      const id = nextId++;
      toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    },
    on(listener: (message: Message) => void): void {
      listeners.push(listener);
    },
    once(method: string, sessionId: string): Promise<Message> {
      return new Promise((resolve) => listeners.push((message) => message.method === method && message.sessionId === sessionId && resolve(message)));
    },
  };
}

/** Loads `url` in a new page; returns the errors it logged and the text of `selector`'s elements. */
async function load(client: ReturnType<typeof devtools>, url: string, selector: string): Promise<{ errors: string[]; texts: string[] }> {
  const { targetId } = (await client.send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
  const { sessionId } = (await client.send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
  const errors: string[] = [];
  client.on((message) => {
    if (message.sessionId !== sessionId) return;
    const params = message.params ?? {};
    if (message.method === 'Runtime.exceptionThrown') errors.push(JSON.stringify(params.exceptionDetails));
    if (message.method === 'Runtime.consoleAPICalled' && params.type === 'error') errors.push(JSON.stringify(params.args));
    if (message.method === 'Log.entryAdded' && (params.entry as { level?: string }).level === 'error') errors.push(JSON.stringify(params.entry));
  });
  for (const domain of ['Runtime', 'Log', 'Page']) await client.send(`${domain}.enable`, {}, sessionId);
  const loaded = client.once('Page.loadEventFired', sessionId);
  await client.send('Page.navigate', { url }, sessionId);
  await loaded;
  const expression = `JSON.stringify([...document.querySelectorAll(${JSON.stringify(selector)})].map((element) => element.textContent))`;
  const { result } = (await client.send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)) as { result: { value: string } };
  return { errors, texts: JSON.parse(result.value) as string[] };
}

describeWithReferee('the --html page in a real browser', chromium, () => {
  it('loads without console errors and shows the IDs the JSON reports, for every domain of the host', async () => {
    const world = memoryXl();
    const cfg = (name: string) => world.file(`${name}.cfg`, `name = "${name}"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "generate"\n`);
    await world.ok(['create', cfg('one')]);
    await world.ok(['create', cfg('two')]);
    await world.ok(['vm-genid', '--new', 'two']);
    const page = join(world.dir, 'ids.html');
    await world.ok(['vm-genid', '--history', `--html=${page}`]);
    const reported: string[] = [];
    for (const name of ['one', 'two']) {
      const report = JSON.parse((await world.ok(['vm-genid', '--history', '--json', name])).stdout) as { views: Record<string, string> };
      reported.push(report.views.config!, report.views.xenstore!, report.views.guest!);
    }

    const profile = mkdtempSync(join(tmpdir(), 'xl-cli-chromium-'));
    const browser = spawn(
      chromium.paths.chromium!,
      [
        '--headless',
        '--remote-debugging-pipe',
        '--no-first-run',
        '--disable-gpu',
        `--user-data-dir=${profile}`,
        ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise((resolve) => browser.once('exit', resolve));
    try {
      const client = devtools(browser);
      const shown = await load(client, pathToFileURL(page).href, 'td.hex');
      expect(shown.errors).toEqual([]);
      expect(shown.texts).toEqual(reported);
      // The check can fail: a page that throws is caught.
      const broken = await load(client, 'data:text/html,<script>throw new Error("broken page")</script>', 'td');
      expect(broken.errors.join('\n')).toContain('broken page');
      await client.send('Browser.close');
    } finally {
      const closed = await Promise.race([exited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 10_000))]);
      if (!closed) {
        browser.kill('SIGKILL');
        await exited;
      }
      rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
    }
  }, 120_000);
});
