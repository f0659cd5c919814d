/**
 * `xl config-update` as main_config_update: the warning, the file with its KEY=VALUE additions
 * stored as the domain's `xl` userdata (the libxl-json config untouched), `-d`/`-N` printing the
 * parsed config, and xl's messages for the failures.
 */
import { describe, expect, it } from 'vitest';
import { USERDATA_XL } from '@xen-genid/xl-lib';
import { memoryXl } from './__fixtures__/memory-xl.ts';

const WARNING = 'WARNING: xl now has better capability to manage domain configuration, avoid using this command when possible\n';
const cfg = 'name = "a"\ntype = "hvm"\nmemory = 64\n';

describe('xl config-update', () => {
  it('stores the file and its additions as the xl userdata, and leaves the libxl config alone', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('a.cfg', cfg)]);
    const before = (await world.xl(['list', '-l', 'a'])).stdout;
    const updated = world.file('b.cfg', 'name = "a"\ntype = "hvm"\nmemory = 128\n');
    expect(await world.xl(['config-update', 'a', updated, 'vcpus=2'])).toEqual({ status: 0, stdout: '', stderr: `${WARNING}setting dom1 configuration\n` });
    const stored = new TextDecoder().decode(world.parts.userdata.retrieve(1, USERDATA_XL));
    expect(stored).toBe('name = "a"\ntype = "hvm"\nmemory = 128\n\nvcpus=2\n\n');
    expect((await world.xl(['list', '-l', 'a'])).stdout).toBe(before);
  });

  it('prints the parsed config with -d, and only prints it with xl -N', async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('a.cfg', cfg)]);
    // The domain and the file come before the options: a leading option is looked up as a domain.
    expect(await world.xl(['config-update', '-d', 'a', world.file('a.cfg', cfg)])).toEqual({ status: 1, stdout: '', stderr: `${WARNING}-d is an invalid domain identifier (rc=-6)\n` });
    const debug = await world.xl(['config-update', 'a', world.file('a.cfg', cfg), '-d']);
    expect(debug.status).toBe(0);
    expect(debug.stdout).toContain('"max_memkb": 65536');
    const dry = await world.xl(['-N', 'config-update', 'a', world.file('a.cfg', cfg), 'on_crash="preserve"']);
    expect(dry.status).toBe(0);
    expect(dry.stderr).toBe(WARNING);
    expect(dry.stdout).toContain('"on_crash": "preserve"');
    // -d stored its file; the dry run stored nothing.
    expect(new TextDecoder().decode(world.parts.userdata.retrieve(1, USERDATA_XL))).toBe(cfg);
  });

  it("fails as xl does: no domain, an unknown one, no file, an unreadable one, two files", async () => {
    const world = memoryXl();
    await world.ok(['create', world.file('a.cfg', cfg)]);
    const none = await world.xl(['config-update']);
    expect(none.status).toBe(1);
    expect(none.stderr).toBe('xl config-update requires a domain argument\n');
    expect(none.stdout).toContain('Usage: xl [-vtTfN] config-update <Domain> <ConfigFile> [options] [vars]');
    expect(await world.xl(['config-update', 'nosuch', 'x.cfg'])).toEqual({ status: 1, stdout: '', stderr: `${WARNING}nosuch is an invalid domain identifier (rc=-6)\n` });
    expect(await world.xl(['config-update', 'a'])).toEqual({ status: 1, stdout: '', stderr: `${WARNING}Config file not specified\n` });
    const missing = await world.xl(['config-update', 'a', '/nonexistent.cfg']);
    expect(missing).toEqual({ status: 253, stdout: '', stderr: `${WARNING}Failed to read config file: /nonexistent.cfg: No such file or directory\n` });
    const two = await world.xl(['config-update', 'a', world.file('a.cfg', cfg), world.file('b.cfg', cfg)]);
    expect(two.status).toBe(2);
    expect(two.stdout).toContain('Usage: xl [-vtTfN] create <ConfigFile> [options] [vars]');
    expect(await world.xl(['config-update', '7', world.file('a.cfg', cfg)])).toEqual({ status: 1, stdout: '', stderr: `${WARNING}setting dom7 configuration\nfailed to update configuration\n` });
  });
});
