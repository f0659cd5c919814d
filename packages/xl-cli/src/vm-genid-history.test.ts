/**
 * `xl vm-genid --history` in process: the ID's timeline as text and JSON, across a renewal, a
 * checkpoint and a restore, and the usage it refuses.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MsVmGenid, type GenidHistoryEntry } from '@xen-genid/xl-lib';
import { memoryXl } from './__fixtures__/memory-xl.ts';

const CFG = 'name = "vm"\ntype = "hvm"\nmemory = 64\nms_vm_genid = "generate"\n';

interface Report {
  domid: number;
  name: string;
  views: { config: string; xenstore: string; guest: string };
  history: GenidHistoryEntry[];
}

describe('xl vm-genid --history', () => {
  it('shows the timeline across a renewal, a checkpoint and a restore, as text and as JSON', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('vm.cfg', CFG)]);
    const created = world.view('vm')!.config!;
    await world.ok(['vm-genid', '--new', 'vm']);
    const renewed = world.view('vm')!.config!;
    await world.ok(['save', 'vm', `${world.dir}/vm.img`]);
    await world.ok(['restore', `${world.dir}/vm.img`]);
    const restored = world.view('vm')!.config!;

    const report = JSON.parse((await world.ok(['vm-genid', '--history', '--json', 'vm'])).stdout) as Report;
    expect(report.views).toEqual({ config: restored, xenstore: restored, guest: restored });
    const steps = report.history.map((entry) =>
      entry.kind === 'lifecycle' ? `${entry.step}:${entry.operation}:${entry.genid}` : entry.kind === 'read' ? `read:${entry.reason}:${entry.genid}` : `${entry.kind}:${'genid' in entry ? entry.genid : ''}`,
    );
    expect(steps).toEqual([
      `created:${created}`,
      `read:boot:${created}`,
      `renewed:vm-genid-new:${renewed}`,
      'notify:',
      `read:notify:${renewed}`,
      `saved:save:${renewed}`,
      `restored:restore:${restored}`,
      `read:resume:${restored}`,
      'notify:',
      `read:notify:${restored}`,
    ]);
    const times = report.history.map((entry) => entry.at);
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    const text = (await world.ok(['vm-genid', '--history', 'vm'])).stdout.split('\n');
    const guid = (hex: string) => MsVmGenid.fromHex(hex).toGuid();
    expect(text[0]).toBe(`Domain ${report.domid} (vm): generation ID timeline`);
    expect(text[1]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  created with ${guid(created)}$`));
    expect(text).toContainEqual(expect.stringMatching(new RegExp(`  restored by xl restore file \\(S4, S5, S7\\): new-random ${guid(restored)}$`)));
    expect(text).toContainEqual(expect.stringMatching(new RegExp(`  guest read \\(resume\\) ${guid(restored)}$`)));
  });

  it('--html writes one page of the host\'s domains; usage errors exit 2', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('vm.cfg', CFG)]);
    await world.ok(['vm-genid', '--history', `--html=${world.dir}/page.html`]);
    const page = readFileSync(`${world.dir}/page.html`, 'utf8');
    expect(page).toContain(MsVmGenid.fromHex(world.view('vm')!.config!).toGuid());
    expect(page).not.toMatch(/<script|<link|src=/);
    for (const args of [['--html=x.html', 'vm'], ['--history'], ['--history', '--new', 'vm'], ['--history', 'vm', 'vm']]) {
      const result = await world.xl(['vm-genid', ...args]);
      expect(result.status, args.join(' ')).toBe(2);
    }
    expect((await world.xl(['vm-genid', '--history', '--html=/nonexistent/dir/p.html'])).stderr).toBe(
      'xl vm-genid: cannot write /nonexistent/dir/p.html: No such file or directory\n',
    );
  });
});
