import { describe, expect, it } from 'vitest';
import { parseDiskSpec } from './disk-spec.ts';
import { parseVifSpec } from './vif-spec.ts';
import { XlExit } from './xl-exit.ts';
import type { XlCfgDiagnostic } from './xl-cfg.ts';

// Expected values as Debian's xl 4.17 prints them for the same specs (create.referee.test.ts checks live).
describe('xlu_disk_parse', () => {
  it('reads positional specs with deprecated prefixes and a cdrom', () => {
    expect(parseDiskSpec(['phy:/dev/vg/w,xvda,w'], 'a.cfg').disk).toMatchObject({ pdevPath: '/dev/vg/w', vdev: 'xvda', format: 'raw', readwrite: 1 });
    expect(parseDiskSpec(['file:/srv/iso.iso,hdc:cdrom,r'], 'a.cfg').disk).toMatchObject({
      pdevPath: '/srv/iso.iso',
      vdev: 'hdc',
      format: 'raw',
      readwrite: 0,
      removable: 1,
      isCdrom: 1,
    });
  });

  it('reads key=value specs, target last', () => {
    expect(parseDiskSpec(['format=qcow2, vdev=xvdb, access=rw, target=/img/b,c.qcow2'], 'a.cfg').disk).toMatchObject({
      pdevPath: '/img/b,c.qcow2',
      vdev: 'xvdb',
      format: 'qcow2',
      readwrite: 1,
    });
  });

  it('reports with libxlutil\'s wording and gives no disk', () => {
    const result = parseDiskSpec(['vdev=xvda,vdev=xvdb,target=/a'], 'a.cfg');
    expect(result.disk).toBeUndefined();
    expect(result.diagnostics.map((item) => item.message)).toEqual([
      "a.cfg: config parsing error in disk specification: vdev respecified: near `xvdb' in `vdev=xvda,vdev=xvdb,target=/a'",
    ]);
    expect(parseDiskSpec(['/img/a.img'], 'a.cfg').diagnostics.map((item) => item.message)).toEqual([
      "a.cfg: config parsing error in disk specification: no vdev specified in `/img/a.img'",
    ]);
  });
});

describe('parse_nic_config and xlu_vif_parse_rate', () => {
  it('sets the devid, mac, bridge, type, model and rate', () => {
    const diagnostics: XlCfgDiagnostic[] = [];
    expect(parseVifSpec('mac=00:16:3E:00:00:01,bridge=xenbr0', 0, 'a.cfg', diagnostics)).toMatchObject({ devid: 0, mac: '00:16:3e:00:00:01', bridge: 'xenbr0' });
    expect(parseVifSpec('type=ioemu,model=e1000,rate=10Mb/s', 1, 'a.cfg', diagnostics)).toMatchObject({
      devid: 1,
      nictype: 'vif_ioemu',
      model: 'e1000',
      rateBytesPerInterval: 62500n,
      rateIntervalUsecs: 50000,
    });
    expect(diagnostics).toEqual([]);
  });

  it('goes on after a token it does not know, and exits on a bad rate', () => {
    const diagnostics: XlCfgDiagnostic[] = [];
    expect(parseVifSpec('frob=1,bridge=br0', 0, 'a.cfg', diagnostics).bridge).toBe('br0');
    expect(diagnostics.map((item) => item.message)).toEqual(["unrecognized argument `frob=1'"]);
    expect(() => parseVifSpec('rate=10Mbit', 0, 'a.cfg', diagnostics)).toThrow(XlExit);
    expect(diagnostics.at(-1)?.message).toBe("a.cfg: config parsing error in vif: invalid rate in `10Mbit'");
  });
});
