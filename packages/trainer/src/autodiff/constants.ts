import { isFloatType, fromOnnxDataType, tensorFromArray } from '@ortrain/graph-builder';
import type { AttributeProto, NodeProto, TensorProto } from '@ortrain/graph-builder';

const ONNX = new Set(['', 'ai.onnx']);

/** The float tensor a Constant node holds (value, value_float or value_floats), named by its output. */
export function constantTensor(node: NodeProto): TensorProto | undefined {
  if (node.opType !== 'Constant' || !ONNX.has(node.domain ?? '') || !node.output?.[0]) return undefined;
  const name = node.output[0];
  for (const a of node.attribute ?? []) {
    if (a.name === 'value' && a.t) {
      if (!isFloatType(fromOnnxDataType(a.t.dataType ?? 0)) || a.t.externalData?.length) return undefined;
      return { ...a.t, name };
    }
    if (a.name === 'value_float' && a.f !== undefined && a.f !== null) return tensorFromArray(name, 'float32', [], [a.f]);
    if (a.name === 'value_floats' && a.floats) return tensorFromArray(name, 'float32', [a.floats.length], [...a.floats]);
  }
  return undefined;
}

/**
 * Exporters that store weights as Constant nodes (paddle2onnx, spox, some tf2onnx versions): their float
 * Constants become initializers of the imported graph, so that they can train like any initializer; the
 * rest of the nodes are returned as they were.
 */
export function liftConstants(nodes: readonly NodeProto[]): { nodes: NodeProto[]; tensors: TensorProto[] } {
  const kept: NodeProto[] = [];
  const tensors: TensorProto[] = [];
  for (const n of nodes) {
    const t = constantTensor(n);
    if (t) tensors.push(t);
    else kept.push(n);
  }
  return { nodes: kept, tensors };
}

/** The Constant node with its value replaced by `tensor` (export of a trained Constant). */
export function withConstantValue(node: NodeProto, tensor: TensorProto): NodeProto {
  const attribute: AttributeProto[] = [{ name: 'value', type: 4, t: { ...tensor, name: undefined } }];
  return { ...node, attribute };
}
