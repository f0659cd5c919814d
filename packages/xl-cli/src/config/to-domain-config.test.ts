import { createSeededRandomSource, domainConfigToJsonText, MsVmGenid, XlError, type RandomSource } from '@xen-genid/xl-lib';
import { describe, expect, it } from 'vitest';
import { appendExtraConfig, formatDiagnostics, parseConfigData } from './to-domain-config.ts';

const parse = (text: string, random?: RandomSource) => parseConfigData(text, { source: 'vm.cfg', ...(random ? { random } : {}) });
/** A PV guest needs a kernel (or a bootloader). */
const PV = 'name = "x"\nkernel = "/boot/k"\n';
const messages = (text: string) => parse(text).diagnostics.map((diagnostic) => diagnostic.message);

describe('parseConfigData: type, builder and name', () => {
  it('takes any prefix of "hvm", "pv", "pvh" as xl does, and defaults to PV', () => {
    const typeOf = (text: string) => parse(`${PV}${text}`).config?.createInfo.type;
    expect(typeOf('type = "hvm"')).toBe('hvm');
    expect(typeOf('type = ""')).toBe('hvm');
    expect(typeOf('type = "h"')).toBe('hvm');
    expect(typeOf('type = "p"')).toBe('pv');
    expect(typeOf('type = "pvh"')).toBe('pvh');
    expect(typeOf('builder = "generic"')).toBe('pv');
    expect(typeOf('builder = "hv"')).toBe('hvm');
    expect(typeOf('')).toBe('pv');
  });

  it('stops with xl\'s messages on a bad or contradicting type', () => {
    const failed = parse('name = "x"\ntype = "kvm"\n');
    expect([failed.exitCode, 'config' in failed]).toEqual([1, false]);
    expect(messages('name = "x"\ntype = "kvm"\n')).toEqual(['Invalid domain type kvm.']);
    expect(messages('name = "x"\nbuilder = "linux"\n')).toEqual(['Invalid domain type linux.']);
    expect(messages('name = "x"\ntype = "pv"\nbuilder = "hvm"\n')).toEqual(['Contradicting "builder" and "type" options specified.']);
  });

  it('needs a name, before anything HVM-specific is looked at', () => {
    expect(messages('type = "hvm"\nms_vm_genid = "bogus"\n')).toEqual(['Domain name must be specified.']);
    expect(messages('name = [ "x" ]\n')).toEqual([
      "vm.cfg:1: warning: parameter `name' is a list but should be a single value",
      'Domain name must be specified.',
    ]);
  });

  it('takes a uuid in either case, or generates a version-4 one', () => {
    expect(parse(PV + 'uuid = "0A133075-2106-45F5-B159-9702E4E6AF7D"\n').config?.createInfo.uuid).toBe('0a133075-2106-45f5-b159-9702e4e6af7d');
    expect(messages(PV + 'uuid = "nope"\n')).toEqual(['Failed to parse UUID: nope']);
    expect(parse(PV).config?.createInfo.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('parseConfigData: memory, vcpus, kernel, acpi, actions', () => {
  it('sets memory in KiB, maxmem defaulting to memory, vcpus as a bitmap', () => {
    const config = parse(PV + 'memory = 512\nmaxmem = 1024\nvcpus = 3\nmaxvcpus = 4\n').config!;
    expect([config.buildInfo.targetMemkb, config.buildInfo.maxMemkb]).toEqual([524288n, 1048576n]);
    expect([config.buildInfo.availVcpus, config.buildInfo.maxVcpus]).toEqual([[0, 1, 2], 4]);
    expect(parse(PV + 'memory = 256\n').config!.buildInfo.maxMemkb).toBe(262144n);
    expect(messages('name = "x"\nvcpus = 4\nmaxvcpus = 2\n')).toEqual(['xl: maxvcpus < vcpus']);
  });

  it('passes getter warnings through and goes on, as xl does', () => {
    expect(messages(PV + 'memory = "lots"\n')).toEqual(["vm.cfg:3: warning: parameter `memory' is not a valid number"]);
    expect(messages(PV + 'memory = 1\nmemory += 2\n')).toEqual(["vm.cfg:4: warning: can't use += with numbers for parameter `memory'"]);
  });

  it('reads the shutdown actions by xl\'s names', () => {
    const config = parse(PV + 'on_poweroff = "preserve"\non_reboot = "destroy"\non_crash = "rename-restart"\n').config!;
    expect([config.onPoweroff, config.onReboot, config.onCrash, config.onWatchdog, config.onSoftReset]).toEqual([
      'preserve', 'destroy', 'restart_rename', 'destroy', 'soft_reset',
    ]);
    expect(messages(PV + 'on_crash = "boom"\n')).toEqual(['Unknown on_crash action "boom" specified']);
  });

  it('keeps kernel, cmdline and acpi at b_info level', () => {
    const config = parse('name = "x"\nkernel = "/boot/k"\nroot = "/dev/xvda1"\nextra = "quiet"\nacpi = 0\n').config!;
    expect([config.buildInfo.kernel, config.buildInfo.cmdline, config.buildInfo.acpi]).toEqual(['/boot/k', 'root=/dev/xvda1 quiet', 'false']);
    expect(domainConfigToJsonText(config)).toContain('"acpi": "False"');
    expect(messages(PV + 'cmdline = "a"\nroot = "b"\n')).toEqual(['Warning: ignoring root= and extra= in favour of cmdline=']);
  });

  it('needs a kernel, a bootloader or a PV-GRUB firmware for PV and PVH', () => {
    expect(messages('name = "x"\n')).toEqual(['Neither kernel nor bootloader specified']);
    expect(messages('name = "x"\ntype = "pvh"\n')).toEqual(['Neither kernel nor bootloader specified']);
    expect(parse('name = "x"\nbootloader = "pygrub"\n').config?.buildInfo.bootloader).toBe('pygrub');
    expect(parse('name = "x"\nfirmware = "pvgrub64"\n').config?.buildInfo.kernel).toBe('/usr/lib/xen-4.17/boot/pvgrub64.bin');
    expect(messages(PV + 'firmware = "pvgrub32"\n')).toEqual(['ERROR: both kernel and firmware specified']);
    expect(messages('name = "x"\nfirmware = "ovmf"\n')).toEqual(['ERROR: only pvgrub{32|64} supported as firmware options']);
  });

  it('drops an hvmloader kernel for HVM with xl\'s warning', () => {
    const result = parse('name = "x"\ntype = "hvm"\nkernel = "/usr/lib/xen/boot/hvmloader"\n');
    expect(result.config!.buildInfo.kernel).toBeUndefined();
    expect(result.diagnostics[0]!.message).toMatch(/^WARNING: you seem to be using "kernel" directive/);
  });

  it('ignores unknown keys and keeps disk and vif specs as strings', () => {
    const result = parse(PV + 'frobnicate = 7\ndisk = [ "phy:/dev/vg/x,xvda,w", "file:/a.img,xvdb,r" ]\nvif = [ "bridge=xenbr0" ]\n');
    expect(result.diagnostics).toEqual([]);
    expect(result.devices).toEqual({ disks: ['phy:/dev/vg/x,xvda,w', 'file:/a.img,xvdb,r'], vifs: ['bridge=xenbr0'] });
  });
});

describe('parseConfigData: ms_vm_genid, exactly as xl', () => {
  const hvm = 'name = "x"\ntype = "hvm"\n';
  const genidOf = (text: string, random?: RandomSource) => {
    const u = parse(text, random).config!.buildInfo.u;
    return u.type === 'hvm' ? u.msVmGenid : undefined;
  };

  it('"generate" takes 16 bytes from the random source', () => {
    const expected = MsVmGenid.generate(createSeededRandomSource(7));
    const genid = genidOf(`${hvm}ms_vm_genid = "generate"\n`, {
      fill: (() => {
        const source = createSeededRandomSource(7);
        let first = true;
        return (buffer: Uint8Array) => {
          // the uuid is drawn first; the generation ID next
          if (first) {
            first = false;
            buffer.fill(1);
            return;
          }
          source.fill(buffer);
        };
      })(),
    });
    expect(genid?.equals(expected)).toBe(true);
    expect(genid?.isZero()).toBe(false);
  });

  it('"none", absence, PV and PVH leave no ID', () => {
    expect(genidOf(`${hvm}ms_vm_genid = "none"\n`)?.isZero()).toBe(true);
    expect(genidOf(hvm)?.isZero()).toBe(true);
    expect(parse(PV + 'type = "pv"\nms_vm_genid = "bogus"\n').diagnostics).toEqual([]);
    expect(parse(PV + 'type = "pvh"\nms_vm_genid = "bogus"\n').diagnostics).toEqual([]);
  });

  it('anything else is xl\'s error, exit 1, case-sensitive, numbers included', () => {
    for (const value of ['"Generate"', '"yes"', '1', '""']) {
      expect(parse(`${hvm}ms_vm_genid = ${value}\n`)).toMatchObject({
        exitCode: 1,
        diagnostics: [{ message: 'ERROR: "ms_vm_genid" option must be "generate" or "none"' }],
      });
    }
  });

  it('a list is libxlutil\'s warning and is ignored', () => {
    const result = parse(`${hvm}ms_vm_genid = [ "generate" ]\n`);
    expect(result.diagnostics.map((diagnostic) => diagnostic.message)).toEqual([
      "vm.cfg:3: warning: parameter `ms_vm_genid' is a list but should be a single value",
    ]);
    const u = result.config!.buildInfo.u;
    expect(u.type === 'hvm' && u.msVmGenid.isZero()).toBe(true);
  });

  it('follows += and last-wins', () => {
    expect(genidOf(`${hvm}ms_vm_genid = "gen"\nms_vm_genid += "erate"\n`)?.isZero()).toBe(false);
    expect(genidOf(`${hvm}ms_vm_genid = "generate"\nms_vm_genid = "none"\n`)?.isZero()).toBe(true);
  });

  it('a failing random source is xl\'s "failed to generate" exit', () => {
    let calls = 0;
    const failing: RandomSource = {
      fill(buffer) {
        calls += 1;
        if (calls > 1) throw new XlError('FAIL', 'failed to read /dev/urandom');
        buffer.fill(2);
      },
    };
    expect(parse(`${hvm}ms_vm_genid = "generate"\n`, failing)).toMatchObject({
      exitCode: 1,
      diagnostics: [{ message: 'ERROR: failed to generate a VM Generation ID' }],
    });
  });
});

describe('parseConfigData: parse failures and extra configuration', () => {
  it('prints libxlutil\'s report, then xl\'s message, exit 1', () => {
    expect(parse('name = "x"\nmemory = -1\n')).toMatchObject({
      exitCode: 1,
      diagnostics: [
        { message: "vm.cfg:2: config parsing error near `-1': lexical error" },
        { message: 'warning: Config file looks like it contains Python code.' },
        { message: 'warning:  Arbitrary Python is no longer supported.' },
        { message: 'warning:  See https://wiki.xen.org/wiki/PythonInXlConfig' },
        { message: 'Failed to parse config: Invalid argument' },
      ],
    });
  });

  it('appends KEY=VALUE arguments as "\\n" + each + "\\n" + "\\n"', () => {
    const data = appendExtraConfig(Buffer.from('name = "a"\nkernel = "k"'), ['name="b"', 'memory=8']);
    expect(Buffer.from(data).toString()).toBe('name = "a"\nkernel = "k"\nname="b"\nmemory=8\n\n');
    expect(appendExtraConfig(Buffer.from('x'), [])).toEqual(Buffer.from('x'));
    expect(parseConfigData(data).config?.createInfo.name).toBe('b');
  });
});

describe('parseConfigData: keys xl does not read', () => {
  const text = 'name = "a"\nkernel = "/k"\nmemroy = 512\ncolour = "blue"\nmemroy = 1024\n';

  it('are ignored silently, as xl ignores them', () => {
    const result = parse(text);
    expect(result.exitCode).toBeUndefined();
    expect(result.diagnostics).toEqual([]);
  });

  it('with verbose, each gets one warning at its first line', () => {
    const result = parseConfigData(text, { source: 'vm.cfg', verbose: true });
    expect(result.diagnostics.map((diagnostic) => diagnostic.message)).toEqual([
      "vm.cfg:3: warning: unknown key `memroy' ignored (xl does not read it)",
      "vm.cfg:4: warning: unknown key `colour' ignored (xl does not read it)",
    ]);
    expect(formatDiagnostics(result.diagnostics)).toBe(
      "vm.cfg:3: warning: unknown key `memroy' ignored (xl does not read it)\nvm.cfg:4: warning: unknown key `colour' ignored (xl does not read it)\n",
    );
  });

  it('a key xl reads, with a bad value, fails as xl fails', () => {
    expect(parse('name = "a"\ntype = "hvm"\ntsc_mode = "fast"\n')).toMatchObject({
      exitCode: 1,
      diagnostics: [{ message: 'got a tsc mode string: "fast"' }, { message: 'ERROR: invalid value "fast" for "tsc_mode"' }],
    });
  });
});
