import { describe, expect, it } from 'vitest';
import * as params from './hvm-params.ts';
import { HVM_NR_PARAMS, HVM_PARAMS, HVM_PARAMS_DEPRECATED, hvmParamIndex, hvmParamName } from './hvm-params.ts';

describe('the HVM param table of Xen 4.17', () => {
  it('numbers the generation-ID param 34 and the space 39', () => {
    expect(params.HVM_PARAM_VM_GENERATION_ID_ADDR).toBe(34);
    expect(HVM_NR_PARAMS).toBe(39);
    expect([params.HVM_PARAM_ALTP2M, params.HVM_PARAM_X87_FIP_WIDTH, params.HVM_PARAM_VM86_TSS_SIZED, params.HVM_PARAM_MCA_CAP]).toEqual([35, 36, 37, 38]);
    expect([params.HVM_PARAM_IOREQ_SERVER_PFN, params.HVM_PARAM_NR_IOREQ_SERVER_PAGES]).toEqual([32, 33]);
  });

  it('names every number below HVM_NR_PARAMS except the holes 3, 7 and 8, each once', () => {
    const numbers = Object.values(HVM_PARAMS).sort((a, b) => a - b);
    const expected = Array.from({ length: HVM_NR_PARAMS }, (_, index) => index).filter((index) => ![3, 7, 8].includes(index));
    expect(numbers).toEqual(expected);
  });

  it('lists in HVM_PARAMS every HVM_PARAM_* constant the module exports, with the same number', () => {
    const constants = Object.entries(params).filter(([name]) => name.startsWith('HVM_PARAM_'));
    expect(Object.fromEntries(constants)).toEqual(HVM_PARAMS);
  });

  it('maps names to numbers and back', () => {
    expect(hvmParamName(34)).toBe('HVM_PARAM_VM_GENERATION_ID_ADDR');
    expect(hvmParamName(3)).toBeUndefined();
    expect(hvmParamName(39)).toBeUndefined();
    expect(hvmParamIndex('HVM_PARAM_VM_GENERATION_ID_ADDR')).toBe(34);
    expect(hvmParamIndex('MCA_CAP')).toBe(38);
    expect(hvmParamIndex('NO_SUCH_PARAM')).toBeUndefined();
    expect(hvmParamIndex('constructor')).toBeUndefined();
    for (const [name, index] of Object.entries(HVM_PARAMS)) {
      expect(hvmParamName(index)).toBe(name);
      expect(hvmParamIndex(name)).toBe(index);
    }
  });

  it('marks the params 4.17\'s header calls deprecated', () => {
    expect(HVM_PARAMS_DEPRECATED.map((index) => hvmParamName(index))).toEqual([
      'HVM_PARAM_PAE_ENABLED',
      'HVM_PARAM_DM_DOMAIN',
      'HVM_PARAM_MEMORY_EVENT_CR0',
      'HVM_PARAM_MEMORY_EVENT_CR3',
      'HVM_PARAM_MEMORY_EVENT_CR4',
      'HVM_PARAM_MEMORY_EVENT_INT3',
      'HVM_PARAM_NESTEDHVM',
      'HVM_PARAM_MEMORY_EVENT_SINGLE_STEP',
      'HVM_PARAM_BUFIOREQ_EVTCHN',
      'HVM_PARAM_MEMORY_EVENT_MSR',
    ]);
    expect(Object.isFrozen(HVM_PARAMS_DEPRECATED)).toBe(true);
  });
});
