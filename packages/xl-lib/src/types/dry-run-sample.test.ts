import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultDomainConfig, domainConfigFromJsonText, domainConfigToJsonText } from './domain-config.ts';
import { MsVmGenid } from '../genid/ms-vm-genid.ts';

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');

describe('the JSON real xl 4.17 printed for `xl -N create`', () => {
  it('is reproduced byte for byte for the HVM sample config', () => {
    const config = defaultDomainConfig('hvm');
    config.createInfo.name = 'vgid-test';
    config.createInfo.uuid = '0a133075-2106-45f5-b159-9702e4e6af7d';
    config.createInfo.runHotplugScripts = 'true';
    config.buildInfo.maxVcpus = 2;
    config.buildInfo.availVcpus = [0, 1];
    config.buildInfo.maxMemkb = 1048576n;
    config.buildInfo.targetMemkb = 1048576n;
    config.buildInfo.claimMode = 'true';
    if (config.buildInfo.u.type !== 'hvm') throw new Error('hvm arm expected');
    config.buildInfo.u.msVmGenid = MsVmGenid.fromBytes([40, 3, 49, 159, 118, 102, 172, 186, 48, 115, 161, 158, 16, 72, 131, 231]);
    config.onReboot = 'restart';
    config.onSoftReset = 'soft_reset';
    expect(domainConfigToJsonText(config)).toBe(fixture('xl-create-hvm.json'));
  });

  it('is reproduced byte for byte for the PV sample config', () => {
    const config = defaultDomainConfig('pv');
    config.createInfo.name = 'd4';
    config.createInfo.uuid = '95104681-62c8-44dc-9f8c-12ebfa454b60';
    config.createInfo.runHotplugScripts = 'true';
    config.buildInfo.maxMemkb = 131072n;
    config.buildInfo.targetMemkb = 131072n;
    config.buildInfo.claimMode = 'true';
    config.buildInfo.kernel = '/boot/vmlinuz';
    config.onReboot = 'restart';
    config.onSoftReset = 'soft_reset';
    expect(domainConfigToJsonText(config)).toBe(fixture('xl-create-pv.json'));
  });

  it('parses back to a config that prints the same text', () => {
    for (const name of ['xl-create-hvm.json', 'xl-create-pv.json']) {
      const text = fixture(name);
      expect(domainConfigToJsonText(domainConfigFromJsonText(text))).toBe(text);
    }
  });

  it('parses the HVM sample to the values xl set', () => {
    const config = domainConfigFromJsonText(fixture('xl-create-hvm.json'));
    expect(config.createInfo.type).toBe('hvm');
    expect(config.buildInfo.u.type).toBe('hvm');
    expect(config.buildInfo.maxMemkb).toBe(1048576n);
    expect(config.buildInfo.availVcpus).toEqual([0, 1]);
    expect(config.onReboot).toBe('restart');
    expect(config.onPoweroff).toBe('destroy');
    if (config.buildInfo.u.type !== 'hvm') throw new Error('hvm arm expected');
    expect(config.buildInfo.u.msVmGenid.toJson()).toEqual([40, 3, 49, 159, 118, 102, 172, 186, 48, 115, 161, 158, 16, 72, 131, 231]);
  });
});
