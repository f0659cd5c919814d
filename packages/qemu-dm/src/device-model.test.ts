import { describe, expect, it } from 'vitest';
import { deviceModelArguments, deviceModelFiles } from './device-model.ts';

const files = deviceModelFiles('/run/xen-genid', 'host-a1b2', 3);

describe('device model files', () => {
  it('carry the host file identity and the domid, so two hosts never share them', () => {
    expect(files).toEqual({
      ram: '/run/xen-genid/host-a1b2-3.ram',
      qmp: '/run/xen-genid/host-a1b2-3.qmp',
      console: '/run/xen-genid/host-a1b2-3.console',
      consoleLog: '/run/xen-genid/host-a1b2-3.log',
      pid: '/run/xen-genid/host-a1b2-3.pid',
      initrd: '/run/xen-genid/host-a1b2-3.initrd',
      incoming: '/run/xen-genid/host-a1b2-3.incoming',
      outgoing: '/run/xen-genid/host-a1b2-3.outgoing',
      stopped: '/run/xen-genid/host-a1b2-3.stopped',
    });
    expect(deviceModelFiles('/run/xen-genid', 'host-c3d4', 3).ram).not.toBe(files.ram);
  });

  it('refuse names QEMU options cannot carry and socket paths too long for sun_path', () => {
    expect(() => deviceModelFiles('/tmp', 'a/b', 1)).toThrow(/plain name/);
    expect(() => deviceModelFiles('/tmp/a,b', 'h', 1)).toThrow(/cannot carry/);
    expect(() => deviceModelFiles(`/tmp/${'d'.repeat(100)}`, 'h', 1)).toThrow(/107 bytes/);
  });
});

describe('QEMU arguments', () => {
  it('put guest RAM in the shared file and QMP, the console and the pid in the domain files', () => {
    const args = deviceModelArguments({ machine: 'q35', memoryMiB: 256, files, kernel: '/k/vmlinux', initrd: '/k/initrd', append: 'console=ttyS0' });
    const value = (option: string): string | undefined => args[args.indexOf(option) + 1];
    expect(value('-machine')).toBe('q35,memory-backend=ram');
    expect(value('-object')).toBe(`memory-backend-file,id=ram,size=256M,mem-path=${files.ram},share=on`);
    expect(value('-qmp')).toBe(`unix:${files.qmp},server=on,wait=off`);
    expect(value('-chardev')).toContain(`logfile=${files.consoleLog},logappend=on`);
    expect(value('-pidfile')).toBe(files.pid);
    expect(value('-accel')).toBe('tcg');
    expect([value('-kernel'), value('-initrd'), value('-append')]).toEqual(['/k/vmlinux', '/k/initrd', 'console=ttyS0']);
    expect(args).toContain('-daemonize');
    expect(args).not.toContain('-incoming');
  });

  it('wait for device state when incoming, and need a kernel for an initrd', () => {
    expect(deviceModelArguments({ machine: 'pc', memoryMiB: 128, files, incoming: true }).slice(-2)).toEqual(['-incoming', 'defer']);
    expect(deviceModelArguments({ machine: 'pc', memoryMiB: 128, files })).not.toContain('-kernel');
    expect(() => deviceModelArguments({ machine: 'pc', memoryMiB: 128, files, initrd: '/k/initrd' })).toThrow(/needs a kernel/);
    expect(() => deviceModelArguments({ machine: 'pc', memoryMiB: 128, files, kernel: '/k/my kernel' })).toThrow(/cannot carry/);
  });
});
