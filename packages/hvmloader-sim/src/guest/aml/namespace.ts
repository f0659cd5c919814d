/**
 * The ACPI namespace as an OS builds it from AML (what ACPICA's table load does,
 * `source/components/namespace/nsparse.c` and `dispatcher/dswload.c`): named objects in a tree of
 * 4-character segments. Method bodies are kept as bytes and run by the interpreter on demand.
 */
import { HvmloaderError } from '../../errors.ts';

export type AmlValue =
  | { readonly type: 'integer'; readonly value: bigint }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'buffer'; readonly value: Uint8Array }
  | { readonly type: 'package'; readonly elements: AmlValue[] }
  /** A name inside a package, resolved when the element is used. */
  | { readonly type: 'name'; readonly path: string; readonly scope: NamespaceNode }
  /** `Index(pkg, n)`: a reference to one element of a package, string or buffer. */
  | { readonly type: 'element'; readonly container: AmlValue; readonly index: number }
  /** `RefOf(name)` or a reference to a named object. */
  | { readonly type: 'node'; readonly node: NamespaceNode }
  | { readonly type: 'uninitialized' };

export type NamespaceObject =
  | { readonly kind: 'scope' }
  | { readonly kind: 'device' }
  | { readonly kind: 'processor' }
  | { readonly kind: 'power-resource' }
  | { readonly kind: 'thermal-zone' }
  | { readonly kind: 'mutex' }
  | { readonly kind: 'event' }
  | { kind: 'name'; value: AmlValue }
  | {
      readonly kind: 'method';
      readonly args: number;
      readonly serialized: boolean;
      readonly body: Uint8Array;
      /** Offset of the body in its table, for messages. */
      readonly bodyOffset: number;
      readonly integerBits: 32 | 64;
    }
  | { readonly kind: 'region'; readonly space: number; readonly offset: bigint; readonly length: bigint }
  | {
      readonly kind: 'field';
      readonly region: NamespaceNode;
      readonly bitOffset: number;
      readonly bitLength: number;
      readonly accessBytes: number;
      readonly updateRule: number;
    }
  | { readonly kind: 'buffer-field'; readonly buffer: Uint8Array; readonly bitOffset: number; readonly bitLength: number }
  | { readonly kind: 'unsupported-field'; readonly why: string }
  | { readonly kind: 'alias'; readonly target: NamespaceNode };

export class NamespaceNode {
  readonly segment: string;
  readonly parent: NamespaceNode | undefined;
  readonly children = new Map<string, NamespaceNode>();
  object: NamespaceObject;

  constructor(segment: string, parent: NamespaceNode | undefined, object: NamespaceObject) {
    this.segment = segment;
    this.parent = parent;
    this.object = object;
  }

  /** Full path with each segment's `_` padding kept: `\_SB_.PCI0.ISA_.VGID`. */
  get path(): string {
    if (!this.parent) return '\\';
    const parentPath = this.parent.path;
    return parentPath === '\\' ? `\\${this.segment}` : `${parentPath}.${this.segment}`;
  }

  /** The path as ASL writes it, trailing `_` padding dropped: `\_SB.PCI0.ISA.VGID`. */
  get displayPath(): string {
    if (!this.parent) return '\\';
    const segment = this.segment.replace(/_+$/, '') || this.segment;
    const parentPath = this.parent.displayPath;
    return parentPath === '\\' ? `\\${segment}` : `${parentPath}.${segment}`;
  }

  *walk(): Generator<NamespaceNode> {
    yield this;
    for (const child of this.children.values()) yield* child.walk();
  }
}

/** A parsed NameString: `\` (root), `^` count, then segments. */
export interface NamePath {
  readonly root: boolean;
  readonly parents: number;
  readonly segments: readonly string[];
}

export function formatNamePath(name: NamePath): string {
  return `${name.root ? '\\' : '^'.repeat(name.parents)}${name.segments.join('.')}`;
}

export class Namespace {
  readonly root = new NamespaceNode('\\', undefined, { kind: 'scope' });

  constructor() {
    // ACPICA predefines these (`utilities/utglobal.c` acpi_gbl_pre_defined_names).
    for (const segment of ['_GPE', '_PR_', '_SB_', '_SI_', '_TZ_']) {
      this.root.children.set(segment, new NamespaceNode(segment, this.root, segment === '_SB_' ? { kind: 'device' } : { kind: 'scope' }));
    }
  }

  /** The node a relative or absolute path names from `scope`, without the upward search. */
  lookupExact(scope: NamespaceNode, name: NamePath): NamespaceNode | undefined {
    let node: NamespaceNode | undefined = name.root ? this.root : scope;
    for (let index = 0; index < name.parents && node; index += 1) node = node.parent;
    for (const segment of name.segments) {
      if (!node) return undefined;
      node = node.children.get(segment);
    }
    return node;
  }

  /**
   * Name resolution for references (ACPI 6.5 §5.3): a single segment without prefix is searched
   * in `scope` and then in each parent up to the root; any other path is looked up exactly.
   */
  resolve(scope: NamespaceNode, name: NamePath): NamespaceNode | undefined {
    if (name.root || name.parents > 0 || name.segments.length !== 1) return this.lookupExact(scope, name);
    const segment = name.segments[0] as string;
    for (let node: NamespaceNode | undefined = scope; node; node = node.parent) {
      const found = node.children.get(segment);
      if (found) return found.object.kind === 'alias' ? found.object.target : found;
    }
    return undefined;
  }

  /** Creates (or, for scopes re-opened by a later table, returns) the node a definition names. */
  define(scope: NamespaceNode, name: NamePath, object: NamespaceObject): NamespaceNode {
    if (name.segments.length === 0) throw new HvmloaderError('AML_EVALUATION', 'definition with an empty name');
    const parentPath: NamePath = { ...name, segments: name.segments.slice(0, -1) };
    const parent = this.lookupExact(scope, parentPath);
    if (!parent) throw new HvmloaderError('AML_EVALUATION', `parent scope of ${formatNamePath(name)} does not exist`);
    const segment = name.segments[name.segments.length - 1] as string;
    const existing = parent.children.get(segment);
    if (existing) {
      throw new HvmloaderError('AML_EVALUATION', `${existing.displayPath} is defined twice`);
    }
    const node = new NamespaceNode(segment, parent, object);
    parent.children.set(segment, node);
    return node;
  }
}
