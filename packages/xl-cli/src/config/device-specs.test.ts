import { describe, expect, it } from 'vitest';
import { diskRulePatterns, diskRulesStartingWith, parseDiskSpec } from './disk-spec.ts';
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

describe('the disk scanner tries only the rules that can match at a char', () => {
  // What a rule's match may go on with after its first char: the short tails of a few specs.
  const specs = [
    'format=qcow2, vdev=xvdb, access=rw, target=/img/b,c.qcow2',
    'phy:/dev/vg/w,xvda,w,file:/srv/iso.iso,hdc:cdrom,r,tap2:aio:qcow2:/x,xvda,w',
    'iscsi:iqn,enbd:x,nbd:y,drbd:z,tapdisk:a,ioemu:b,raw:c,vhd:d,qcow:e',
    'no-discard,direct-io-safe,colo-port=9,colo-host=h,devtype=cdrom,backendtype=phy,specification=xen,x=y,bogus:z',
    ' \t\n, =:,-',
  ];
  const tails = new Set(['', ':', '=', ',', '=x', '=x,', 'x:', 'x,']);
  for (const spec of specs) for (let start = 0; start <= spec.length; start += 1) tails.add(spec.slice(start, start + 14));

  it('never skips a rule that matches', () => {
    const chars = [...Array.from({ length: 256 }, (_, code) => String.fromCharCode(code)), '\u0100', '\u20ac'];
    const skipped: string[] = [];
    for (const char of chars) {
      const tried = new Set(diskRulesStartingWith(char));
      for (const pattern of diskRulePatterns().filter((rule) => !tried.has(rule))) {
        for (const tail of tails) {
          pattern.lastIndex = 0;
          if (pattern.test(char + tail)) skipped.push(`${pattern} at ${JSON.stringify(char + tail)}`);
        }
      }
    }
    expect(skipped).toEqual([]);
  });

  it('tries only the rules of a char', () => {
    expect(diskRulesStartingWith(' ').map(String)).toEqual(['/[ \\t\\n]+/y', '/[^=,]*,|[^=,]+,?/y']);
    expect(diskRulesStartingWith('=').map(String)).toEqual([]);
    expect(diskRulesStartingWith('\u20ac').map(String)).toEqual(['/[^=,]*,|[^=,]+,?/y']);
  });

  it('keeps the longest match and the rule order', () => {
    // As the scanner trying every rule at every position read them.
    const cases: [string, object | string][] = [
      ['/a, xvda', "a.cfg: config parsing error in disk specification: unknown value for format: near `xvda' in `/a, xvda'"],
      ['/a,raw, xvda,  w', { pdevPath: '/a', vdev: 'xvda', format: 'raw', readwrite: 1 }],
      ['tap2:/a,xvda', { pdevPath: '/a', vdev: 'xvda', format: 'raw', readwrite: 1 }],
      ['tap2x:/a,xvda', "a.cfg: config parsing error in disk specification: unknown deprecated disk prefix: near `tap2x:' in `tap2x:/a,xvda'"],
      ['=a', "a.cfg: config parsing error in disk specification: bad disk syntax: near `=a' in `=a'"],
      ['/a,,xvda', { pdevPath: '/a', vdev: 'xvda', format: 'raw', readwrite: 1 }],
      ['tapdisk:aio:/a,xvda:cdrom', { pdevPath: '/a', vdev: 'xvda', format: 'raw', readwrite: 0 }],
      ['format=raw,vdev=xvda,x=y', "a.cfg: config parsing error in disk specification: unknown parameter: near `x=y' in `format=raw,vdev=xvda,x=y'"],
      [' \tvdev=xvda,target=/a b', { pdevPath: '/a b', vdev: 'xvda', format: 'raw', readwrite: 1 }],
      ['nbd:enbd:/x,xvda', "a.cfg: config parsing error in disk specification: script respecified: near `block-enbd' in `nbd:enbd:/x,xvda'"],
      ['vdev=\u00e9,target=/\u20ac', { pdevPath: '/\u20ac', vdev: '\u00e9', format: 'raw', readwrite: 1 }],
    ];
    for (const [spec, expected] of cases) {
      const result = parseDiskSpec([spec], 'a.cfg');
      if (typeof expected === 'string') expect(result.diagnostics.map((item) => item.message)).toEqual([expected]);
      else expect(result.disk).toMatchObject(expected);
    }
  });
});
