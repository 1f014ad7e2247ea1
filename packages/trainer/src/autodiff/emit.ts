// Copies a forward node of the imported model into a GraphBuilder, with its attributes and inferred types.
import { Value, attributeKind, attributeValue } from '@ortrain/graph-builder';
import type { AttributeProto, AttributeValue, GraphBuilder, NodeProto, TypedAttribute } from '@ortrain/graph-builder';
import { describeNode } from './attrs';
import type { ShapeTable } from './infer';

/** An AttributeProto as the builder's typed attribute value (lossless). */
export function typedAttrs(node: NodeProto): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const a of node.attribute ?? []) {
    const kind = attributeKind(a.type) ?? guessKind(a);
    if (!kind) throw new RangeError(`${describeNode(node)}: attribute '${a.name}' has no type`);
    const value = attributeValue({ ...a, type: a.type ?? KIND_CODE[kind] });
    // Plain values where the kind is unambiguous (the builder reads some, e.g. Transpose's perm); floats stay typed.
    const plain = (kind === 'int' || kind === 'string' || kind === 'tensor' || kind === 'graph' || ((kind === 'ints' || kind === 'strings') && (value as unknown[]).length > 0));
    out[a.name!] = plain ? (value as AttributeValue) : { kind, value };
  }
  return out;
}
const KIND_CODE: Record<string, number> = { float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7, strings: 8 };
function guessKind(a: AttributeProto): TypedAttribute['kind'] | undefined {
  if (a.ints?.length) return 'ints';
  if (a.floats?.length) return 'floats';
  if (a.strings?.length) return 'strings';
  if (a.t) return 'tensor';
  if (a.g) return 'graph';
  if (a.s) return 'string';
  if (a.f !== undefined) return 'float';
  if (a.i !== undefined) return 'int';
  return undefined;
}

/** A value of `g` or of a graph around it (a subgraph reads its enclosing graph's values by name). */
function valueIn(g: GraphBuilder, name: string, table: ShapeTable): Value | undefined {
  const v = g.get(name);
  if (v) return v;
  const info = table.get(name);
  return info ? new Value(name, info.dtype, info.shape) : undefined;
}

export function emitForward(g: GraphBuilder, node: NodeProto, table: ShapeTable): void {
  const ins = (node.input ?? []).map((name) => {
    if (!name) return undefined;
    const v = valueIn(g, name, table);
    if (!v) throw new RangeError(`${describeNode(node)}: input '${name}' is not defined`);
    return v;
  });
  const outs = (node.output ?? []).map((o) => o || g.uniqueName(`${node.name || node.opType}_unused`));
  // Trailing omitted outputs are dropped; inner ones get names so the node keeps its output positions.
  while (outs.length && !(node.output ?? [])[outs.length - 1]) outs.pop();
  g.node(node.opType!, ins, typedAttrs(node), {
    outputs: outs, name: node.name || undefined, domain: node.domain || undefined,
    dtypes: outs.map((o) => table.get(o)?.dtype), shapes: outs.map((o) => table.get(o)?.shape),
  });
}

