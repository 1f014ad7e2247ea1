// Rewrites nodes of an older opset into the forms of the training graph's opset, for the ops whose inputs or
// semantics changed: axes and split from attributes to inputs (13, and 18 for the other reductions),
// Softmax's 2-D coercion (before 13), Clip's and Pad's attributes (before 11), Slice's (before 10), Dropout's
// ratio attribute (before 12).
import { tensorFromArray } from '@ortrain/graph-builder';
import type { AttributeProto, NodeProto } from '@ortrain/graph-builder';
import { NodeAttrs, describeNode } from './attrs';
import type { ShapeTable } from './infer';

const REDUCE_18 = new Set(['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']);

export function upgradeNodes(nodes: NodeProto[], from: number, to: number, table: ShapeTable): NodeProto[] {
  if (from >= to) return nodes;
  let counter = 0;
  const fresh = (base: string) => `${base}__upgrade_${counter++}`;
  const out: NodeProto[] = [];
  const constant = (base: string, dtype: 'int64' | 'float32', values: number[], scalar = false): string => {
    const name = fresh(base);
    const tensor = tensorFromArray('value', dtype, scalar ? [] : [values.length], dtype === 'int64' ? values.map(BigInt) : values);
    const node: NodeProto = { opType: 'Constant', name, input: [], output: [name], attribute: [{ name: 'value', type: 4, t: tensor }] };
    table.inferNode(node);
    out.push(node);
    return name;
  };
  const without = (node: NodeProto, names: string[]): AttributeProto[] => (node.attribute ?? []).filter((a) => !names.includes(a.name ?? ''));
  const emit = (n: NodeProto) => { out.push(n); table.inferNode(n); };

  for (const node of nodes) {
    const op = node.opType ?? '';
    const a = new NodeAttrs(node);
    if (node.domain && node.domain !== 'ai.onnx') { out.push(node); continue; }
    const axesToInput = (since: number) => from < since && to >= since && a.has('axes');
    if ((op === 'Squeeze' || op === 'Unsqueeze' || op === 'ReduceSum') && axesToInput(13)) {
      const axes = constant(`${op}_axes`, 'int64', a.ints('axes')!);
      emit({ ...node, input: [node.input![0], axes], attribute: without(node, ['axes']) });
    } else if (REDUCE_18.has(op) && axesToInput(18)) {
      const axes = constant(`${op}_axes`, 'int64', a.ints('axes')!);
      emit({ ...node, input: [node.input![0], axes], attribute: without(node, ['axes']) });
    } else if (op === 'Split' && from < 13 && to >= 13 && a.has('split')) {
      const split = constant('split', 'int64', a.ints('split')!);
      emit({ ...node, input: [node.input![0], split], attribute: without(node, ['split']) });
    } else if ((op === 'Softmax' || op === 'LogSoftmax' || op === 'Hardmax') && from < 13) {
      const rank = table.get(node.input![0])?.shape?.length;
      if (rank === undefined) throw new RangeError(`${describeNode(node)}: opset ${from} ${op} needs the input's rank to be upgraded`);
      const axis = a.int('axis', 1) < 0 ? a.int('axis', 1) + rank : a.int('axis', 1);
      if (axis === rank - 1) {
        emit({ ...node, attribute: [{ name: 'axis', type: 2, i: -1 }] });
      } else {
        // Old semantics: softmax over all axes from `axis` on, as one flattened axis.
        const flat = fresh(`${op}_flat`), soft = fresh(`${op}_2d`), shape = fresh(`${op}_shape`);
        emit({ opType: 'Flatten', name: flat, input: [node.input![0]], output: [flat], attribute: [{ name: 'axis', type: 2, i: axis }] });
        emit({ opType: op, name: soft, input: [flat], output: [soft], attribute: [{ name: 'axis', type: 2, i: -1 }] });
        emit({ opType: 'Shape', name: shape, input: [node.input![0]], output: [shape] });
        emit({ opType: 'Reshape', name: node.name, input: [soft, shape], output: [...node.output!] });
      }
    } else if (op === 'Clip' && from < 11) {
      const ins = [node.input![0]];
      ins.push(a.has('min') ? constant('clip_min', 'float32', [a.float('min', 0)], true) : '');
      if (a.has('max')) ins.push(constant('clip_max', 'float32', [a.float('max', 0)], true));
      emit({ ...node, input: ins, attribute: [] });
    } else if (op === 'Pad' && from < 11) {
      const pads = constant('pads', 'int64', a.ints('pads') ?? a.ints('paddings') ?? []);
      const ins = [node.input![0], pads];
      if (a.has('value')) ins.push(constant('pad_value', 'float32', [a.float('value', 0)], true));
      emit({ ...node, input: ins, attribute: without(node, ['pads', 'paddings', 'value']) });
    } else if (op === 'Slice' && from < 10) {
      const ins = [node.input![0], constant('starts', 'int64', a.ints('starts')!), constant('ends', 'int64', a.ints('ends')!)];
      if (a.has('axes')) ins.push(constant('axes', 'int64', a.ints('axes')!));
      emit({ ...node, input: ins, attribute: [] });
    } else if (op === 'Dropout' && from < 12) {
      emit({ ...node, attribute: without(node, ['ratio', 'is_test', 'seed']) });
    } else if (op === 'BatchNormalization' && from < 9) {
      emit({ ...node, attribute: without(node, ['spatial', 'is_test', 'consumed_inputs']) });
    } else {
      out.push(node);
    }
  }
  return out;
}
