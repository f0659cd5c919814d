/**
 * Random operation sequences on the store against a plain reference model of a xenstore tree
 * (values, creation-ordered children, implicit parents, recursive rm), through connections and
 * transactions that commit or abort.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { XsError } from './errors.ts';
import { createMemoryStore } from './memory-store.ts';
import type { XsOperations } from './store.ts';

type Model = Map<string, { value: string; children: string[] }>;

const parentOf = (path: string) => (path.lastIndexOf('/') === 0 ? '/' : path.slice(0, path.lastIndexOf('/')));
const baseOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);

function fresh(): Model {
  return new Map([
    ['/', { value: '', children: ['tool'] }],
    ['/tool', { value: '', children: ['xenstored'] }],
    ['/tool/xenstored', { value: '', children: [] }],
  ]);
}

function clone(model: Model): Model {
  return new Map([...model].map(([path, node]) => [path, { value: node.value, children: [...node.children] }]));
}

function ensure(model: Model, path: string): void {
  if (model.has(path)) return;
  const parent = parentOf(path);
  ensure(model, parent);
  model.get(parent)!.children.push(baseOf(path));
  model.set(path, { value: '', children: [] });
}

function removeTree(model: Model, path: string): void {
  for (const child of model.get(path)!.children) removeTree(model, path === '/' ? `/${child}` : `${path}/${child}`);
  model.delete(path);
}

type Op =
  | { kind: 'write'; path: string; value: string }
  | { kind: 'mkdir'; path: string }
  | { kind: 'rm'; path: string }
  | { kind: 'check'; path: string };

/** Applies to the model; returns the errno the store must give, if any. */
function apply(model: Model, op: Op): string | undefined {
  switch (op.kind) {
    case 'write':
      ensure(model, op.path);
      model.get(op.path)!.value = op.value;
      return undefined;
    case 'mkdir':
      ensure(model, op.path);
      return undefined;
    case 'rm': {
      if (!model.has(op.path)) return model.has(parentOf(op.path)) ? undefined : 'ENOENT';
      removeTree(model, op.path);
      const siblings = model.get(parentOf(op.path))!.children;
      siblings.splice(siblings.indexOf(baseOf(op.path)), 1);
      return undefined;
    }
    case 'check':
      return undefined;
  }
}

function run(target: XsOperations, op: Op): string | undefined {
  try {
    if (op.kind === 'write') target.write(op.path, op.value);
    else if (op.kind === 'mkdir') target.mkdir(op.path);
    else if (op.kind === 'rm') target.rm(op.path);
    return undefined;
  } catch (error) {
    if (XsError.is(error)) return error.code;
    throw error;
  }
}

function expectSame(target: XsOperations, model: Model, path: string): void {
  const node = model.get(path);
  if (!node) {
    expect(target.exists(path)).toBe(false);
    return;
  }
  expect(target.readString(path)).toBe(node.value);
  expect(target.directory(path)).toEqual(node.children);
}

const segment = fc.constantFrom('a', 'b', 'c');
const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => `/m/${parts.join('/')}`);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), path, value: fc.string({ maxLength: 4 }) }),
  fc.record({ kind: fc.constant('mkdir' as const), path }),
  fc.record({ kind: fc.constant('rm' as const), path: fc.oneof(path, fc.constant('/m')) }),
  fc.record({ kind: fc.constant('check' as const), path: fc.oneof(path, fc.constant('/m')) }),
);
const step = fc.oneof(
  { weight: 3, arbitrary: op.map((single) => ({ transaction: undefined, ops: [single] })) },
  { weight: 1, arbitrary: fc.record({ transaction: fc.constantFrom('commit', 'abort'), ops: fc.array(op, { maxLength: 5 }) }) },
);

it('behaves like the reference tree over 500 random sequences', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 25 }), (steps) => {
      const store = createMemoryStore();
      const dom0 = store.connect(0);
      let model = fresh();
      for (const { transaction, ops } of steps) {
        if (!transaction) {
          expect(run(dom0, ops[0]!)).toBe(apply(model, ops[0]!));
          expectSame(dom0, model, ops[0]!.path);
          continue;
        }
        const scratch = clone(model);
        const t = dom0.transactionStart();
        for (const single of ops) {
          expect(run(t, single)).toBe(apply(scratch, single));
          expectSame(t, scratch, single.path);
        }
        if (transaction === 'commit') {
          t.commit();
          model = scratch;
        } else t.abort();
      }
      for (const path of model.keys()) expectSame(dom0, model, path);
      store.close();
    }),
    { numRuns: 500 },
  );
});
