import { describe, expect, it } from 'vitest';
import { XlError } from '../errors.ts';
import {
  copyDomainConfig,
  defaultDomainConfig,
  domainConfigEquals,
  domainConfigFromJsonText,
  domainConfigToJsonText,
  validateDomainConfig,
} from './domain-config.ts';
import { MsVmGenid } from '../genid/ms-vm-genid.ts';

const hvm = (members: string) =>
  `{"c_info": {"type": "hvm", "name": "t"}, "b_info": {"type.hvm": {${members}}}}`;

describe('libxl JSON omission rules (gentypes get_default_expr)', () => {
  it('prints acpi at b_info level as "False", and ms_vm_genid only when non-zero', () => {
    const config = defaultDomainConfig('hvm');
    config.buildInfo.acpi = 'false';
    const text = domainConfigToJsonText(config);
    expect(text).toContain('"acpi": "False"');
    expect(text).not.toContain('ms_vm_genid');
    expect(text).not.toContain('"on_reboot"');
    if (config.buildInfo.u.type !== 'hvm') throw new Error('hvm');
    config.buildInfo.u.msVmGenid = MsVmGenid.fromBytes([1, ...new Array(15).fill(0)]);
    expect(domainConfigToJsonText(config)).toContain('"ms_vm_genid": [\n                1,\n                0,');
  });

  it('prints a zero memory size (only LIBXL_MEMKB_DEFAULT is a default) and strings when non-NULL', () => {
    const config = defaultDomainConfig('pv');
    config.buildInfo.videoMemkb = 0n;
    config.buildInfo.cmdline = '';
    const text = domainConfigToJsonText(config);
    expect(text).toContain('"video_memkb": 0');
    expect(text).toContain('"cmdline": ""');
    expect(text).toContain('"type.pv": {\n\n        }');
  });
});

describe('domainConfigFromJsonText follows libxl_domain_config_from_json', () => {
  it('reads the keyed union from "type.<arm>" and the enums case-insensitively', () => {
    const config = domainConfigFromJsonText(
      '{"c_info": {"type": "HVM", "name": "t"}, "b_info": {"type.hvm": {"hdtype": "AHCI"}}, "on_crash": "Preserve"}',
    );
    expect(config.createInfo.type).toBe('hvm');
    expect(config.buildInfo.u).toMatchObject({ type: 'hvm', hdtype: 'ahci' });
    expect(config.onCrash).toBe('preserve');
  });

  it('skips a member of the wrong JSON kind, as libxl__json_map_get does', () => {
    const config = domainConfigFromJsonText('{"c_info": {"name": 5, "run_hotplug_scripts": true}, "b_info": {"max_vcpus": "2"}}');
    expect(config.createInfo.name).toBeUndefined();
    expect(config.createInfo.runHotplugScripts).toBe('default');
    expect(config.buildInfo.maxVcpus).toBe(0);
  });

  it('matches defbool strings by prefix, as libxl__defbool_parse_json', () => {
    const config = domainConfigFromJsonText('{"c_info": {"hap": "Truex", "oos": "<default>"}}');
    expect(config.createInfo.hap).toBe('true');
    expect(config.createInfo.oos).toBe('default');
  });

  it('fails with ERROR_FAIL and libxl\'s message on a bad ms_vm_genid, enum or defbool', () => {
    for (const text of [
      hvm('"ms_vm_genid": [1, 2, 3]'),
      hvm('"ms_vm_genid": "0102"'),
      hvm(`"ms_vm_genid": [1.0${', 0'.repeat(15)}]`),
      '{"c_info": {"type": "xen"}}',
      '{"c_info": {"hap": "yes"}}',
      '{"c_info": {"uuid": "not-a-uuid"}}',
      '[]',
    ]) {
      let caught: unknown;
      try {
        domainConfigFromJsonText(text);
      } catch (error) {
        caught = error;
      }
      expect(XlError.is(caught), text).toBe(true);
      expect((caught as XlError).rc, text).toBe(-3);
      expect((caught as XlError).message, text).toContain('unable to convert libxl__json_object to libxl_domain_config');
    }
  });

  it('an empty text is ERROR_JSON_CONFIG_EMPTY', () => {
    expect(() => domainConfigFromJsonText('  \n')).toThrow(expect.objectContaining({ code: 'JSON_CONFIG_EMPTY', rc: -16 }));
  });

  it('refuses integers outside their C type, and skips a uint64 beyond long long, as libxl does', () => {
    for (const text of ['{"b_info": {"max_vcpus": 4294967297}}', '{"b_info": {"event_channels": -1}}', '{"b_info": {"max_memkb": -1}}']) {
      expect(() => domainConfigFromJsonText(text), text).toThrow(expect.objectContaining({ code: 'FAIL', message: expect.stringContaining('out of range') }));
    }
    expect(domainConfigFromJsonText('{"b_info": {"max_memkb": 9223372036854775808}}').buildInfo.maxMemkb).toBe((1n << 64n) - 1n);
    expect(domainConfigFromJsonText('{"b_info": {"max_memkb": 9223372036854775807}}').buildInfo.maxMemkb).toBe((1n << 63n) - 1n);
  });

  it('keeps device arrays it does not model, and prints them back', () => {
    const text = '{"disks": [{"pdev_path": "/dev/x", "readwrite": 1}]}';
    const config = domainConfigFromJsonText(text);
    expect(domainConfigToJsonText(config)).toContain('"disks": [\n        {\n            "pdev_path": "/dev/x",\n            "readwrite": 1\n        }\n    ]');
  });
});

describe('copy, equality and validation', () => {
  it('copies deeply and compares IDs byte by byte', () => {
    const config = defaultDomainConfig('hvm');
    if (config.buildInfo.u.type !== 'hvm') throw new Error('hvm');
    config.buildInfo.u.msVmGenid = MsVmGenid.fromHex('ab'.repeat(16));
    config.buildInfo.availVcpus = [0, 1];
    const copy = copyDomainConfig(config);
    expect(domainConfigEquals(copy, config)).toBe(true);
    copy.buildInfo.availVcpus.push(2);
    expect(config.buildInfo.availVcpus).toEqual([0, 1]);
    if (copy.buildInfo.u.type !== 'hvm') throw new Error('hvm');
    copy.buildInfo.u.msVmGenid = MsVmGenid.fromHex('ac'.repeat(16));
    expect(domainConfigEquals(copy, config)).toBe(false);
  });

  it('validation lists every problem with its path', () => {
    const config = defaultDomainConfig('hvm') as unknown as { buildInfo: Record<string, unknown>; createInfo: Record<string, unknown> };
    config.buildInfo.maxMemkb = 5;
    config.createInfo.uuid = 'ABC';
    let caught: unknown;
    try {
      validateDomainConfig(config);
    } catch (error) {
      caught = error;
    }
    expect((caught as XlError).code).toBe('INVAL');
    expect((caught as XlError).message).toMatch(/buildInfo\.maxMemkb: .*; createInfo\.uuid: |createInfo\.uuid: .*buildInfo\.maxMemkb/);
  });
});
