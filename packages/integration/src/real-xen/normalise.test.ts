import { describe, expect, it } from 'vitest';
import { domainLabels, infoShape, normaliseOutput, toolstackRequests } from './normalise.ts';

const list = (rows: string): string => `Name                                        ID   Mem VCPUs\tState\tTime(s)\n${rows}`;

describe('normalising what a scenario printed', () => {
  const labels = domainLabels([
    list('Domain-0                                     0  1024     1     r-----     547.7\nhvm1                                         2    64     1     -b----       1.3\n'),
    list('hvm1                                         4    64     1     r-----       0.2\n'),
  ]);

  it('names domains after the guest xl list showed, a later id of the same name with #2', () => {
    expect([...labels]).toEqual([
      [2, '<hvm1>'],
      [4, '<hvm1#2>'],
    ]);
  });

  it('masks only the random and machine-bound parts', () => {
    const text = [
      '/local/domain/4/vm = "/vm/45241e98-8874-4728-89d5-8dfa9789225e"   (n0,r4)',
      '/local/domain/4/store/ring-ref = "1044476"   (n0,r4)',
      '/local/domain/4/memory/target = "57344"   (n0,r4)',
      '/local/domain/0/backend/vkbd/4/0/frontend-id = "4"   (n0,r4)',
      '6023159554965760480:11707721200092658936',
      'hvm1                                         4    64     1     -b----       1.3',
      'Domain-0                                     0  1024     1     r-----     547.7',
      'libxl: error: libxl_domain.c:1137:domain_destroy_callback: Domain 7:Unable to destroy guest',
      'hvm1                                         4    64     1     --p---       1.7 5eb27ec5-efc0-416d-9ef4-9bbc993d9e5a        -                -',
      '5eb27ec5-efc0-416d-9ef4-9bbc993d9e5a  4    hvm1                          ',
    ].join('\n');
    expect(normaliseOutput(text, labels).split('\n')).toEqual([
      '/local/domain/<hvm1#2>/vm = "/vm/<uuid>"   (n0,r<hvm1#2>)',
      '/local/domain/<hvm1#2>/store/ring-ref = "<ring-ref>"   (n0,r<hvm1#2>)',
      '/local/domain/<hvm1#2>/memory/target = "57344"   (n0,r<hvm1#2>)',
      '/local/domain/0/backend/vkbd/<hvm1#2>/0/frontend-id = "<hvm1#2>"   (n0,r<hvm1#2>)',
      '<generation-id>',
      'hvm1 <hvm1#2> 64 1 ..---- <time>',
      'Domain-0 0 <mem> <vcpus> ..---- <time>',
      'libxl: error: libxl_domain.c:1137:domain_destroy_callback: Domain 7:Unable to destroy guest',
      'hvm1 <hvm1#2> 64 1 ..p--- <time> <uuid> - -',
      '<uuid> <hvm1#2> hvm1',
    ]);
  });

  it("masks Domain-0's memory in its xenstore keys and its xl list -l entry, not a guest's", () => {
    const text = [
      '/local/domain/0/memory/target = "1048576"   (n0)',
      '/local/domain/0/memory/static-max = "1048576"   (n0)',
      '[',
      '    {',
      '        "domid": 0,',
      '        "config": {',
      '            "b_info": {',
      '                "max_memkb": 1048576,',
      '                "target_memkb": 1048575,',
      '            }',
      '        }',
      '    },',
      '    {',
      '        "domid": 4,',
      '        "config": {',
      '            "c_info": {',
      '                "domid": 0,',
      '            },',
      '            "b_info": {',
      '                "max_memkb": 65536,',
      '                "target_memkb": 65536,',
    ].join('\n');
    const masked = normaliseOutput(text, labels).split('\n');
    expect(masked.slice(0, 2)).toEqual(['/local/domain/0/memory/target = "<dom0-mem>"   (n0)', '/local/domain/0/memory/static-max = "<dom0-mem>"   (n0)']);
    expect(masked.filter((line) => line.includes('memkb'))).toEqual([
      '                "max_memkb": <dom0-mem>,',
      '                "target_memkb": <dom0-mem>,',
      '                "max_memkb": 65536,',
      '                "target_memkb": 65536,',
    ]);
  });

  it("keeps xl info's keys, not its values", () => {
    expect(infoShape('host                   : (none)\nnr_cpus                : 2\n')).toBe('host\nnr_cpus');
  });

  it("keeps the requests of the toolstack's connections opened in the slice, each connection's in order", () => {
    const trace = [
      'IN 0xc0 20261204 18:29:37 WRITE (/local/domain/2/console/tty /dev/pts/0)',
      'CREATE connection 0xa1',
      'IN 0xa1 20261204 18:29:37 READ (/local/pool/0/name )',
      'IN 0xa1 20261204 18:29:37 TRANSACTION_START ( )',
      'CREATE connection 0xb2',
      'IN 0xb2 20261204 18:29:37 MKDIR (device-model/2/backends/console )',
      'IN 0xa1 20261204 18:29:37 SET_PERMS (/local/domain/2 n0 r2 )',
      'CREATE connection 0xd3',
      'IN 0xd3 20261204 18:29:38 WRITE (/local/domain/2/image/device-model-pid 171)',
      'IN 0xa1 20261204 18:29:38 WRITE (/local/domain/2/platform/generation-id 1:2)',
      'OUT 0xa1 20261204 18:29:38 WRITE (OK )',
      'IN 0xa1 20261204 18:29:38 INTRODUCE (2 1044476 1 )',
      'IN 0xa1 20261204 18:29:38 TRANSACTION_END (T )',
    ].join('\n');
    expect(toolstackRequests(trace, labels)).toEqual([
      'c1 TRANSACTION_START',
      'c1 SET_PERMS /local/domain/<hvm1> n0 r<hvm1>',
      'c1 WRITE /local/domain/<hvm1>/platform/generation-id <generation-id>',
      'c1 INTRODUCE <hvm1>',
      'c1 TRANSACTION_END T',
      'c2 WRITE /local/domain/<hvm1>/image/device-model-pid <device-model-pid>',
    ]);
  });
});
