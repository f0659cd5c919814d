import { describe, expect, it } from 'vitest';
import { MemoryUserdataStore, USERDATA_LIBXL_JSON, retrieveUserdataText, storeUserdataText } from './userdata.ts';

describe('MemoryUserdataStore (libxl_userdata_store / _retrieve / _unlink / destroyall)', () => {
  it('stores, replaces and returns copies', () => {
    const store = new MemoryUserdataStore();
    const data = new Uint8Array([1, 2, 3]);
    store.store(3, USERDATA_LIBXL_JSON, data);
    data[0] = 9;
    expect(store.retrieve(3, USERDATA_LIBXL_JSON)).toEqual(new Uint8Array([1, 2, 3]));
    store.store(3, USERDATA_LIBXL_JSON, new Uint8Array([4]));
    expect(store.retrieve(3, USERDATA_LIBXL_JSON)).toEqual(new Uint8Array([4]));
    expect(store.retrieve(3, 'xl')).toBeUndefined();
    expect(store.retrieve(4, USERDATA_LIBXL_JSON)).toBeUndefined();
  });

  it('an empty blob removes, as libxl unlinks on datalen 0; unlink and destroyAll remove', () => {
    const store = new MemoryUserdataStore();
    store.store(1, 'a', new Uint8Array([1]));
    store.store(1, 'b', new Uint8Array([1]));
    store.store(2, 'a', new Uint8Array([1]));
    store.store(1, 'a', new Uint8Array());
    expect(store.list(1)).toEqual(['b']);
    store.unlink(1, 'b');
    store.unlink(1, 'missing');
    expect(store.list(1)).toEqual([]);
    store.store(1, 'c', new Uint8Array([1]));
    store.destroyAll(1);
    expect(store.domids()).toEqual([2]);
  });

  it('refuses keys libxl could not use as a file name', () => {
    const store = new MemoryUserdataStore();
    expect(() => store.store(-1, 'a', new Uint8Array([1]))).toThrow('invalid domid');
    expect(() => store.store(1, 'a/b', new Uint8Array([1]))).toThrow('invalid userdata id');
    expect(() => store.retrieve(1, '')).toThrow('invalid userdata id');
  });

  it('text helpers store UTF-8 and refuse a blob that is not UTF-8', () => {
    const store = new MemoryUserdataStore();
    storeUserdataText(store, 5, 'xl', 'name = "é"\n');
    expect(retrieveUserdataText(store, 5, 'xl')).toBe('name = "é"\n');
    store.store(5, 'bin', new Uint8Array([0xff, 0xfe]));
    expect(() => retrieveUserdataText(store, 5, 'bin')).toThrow('not UTF-8');
    expect(retrieveUserdataText(store, 5, 'none')).toBeUndefined();
  });
});
