import { DType, ModelProto, NodeProto, TensorProto, fromOnnxDataType, tensorFromArray } from '@ortrain/graph-builder';
import { constantTensor, withConstantValue } from '../autodiff/constants';

/**
 * The forward model with new values for some of its tensors (by name), everything else as it was. A value
 * goes back where the tensor was: in place of its initializer, or into its Constant node (exporters that
 * store weights as Constants), so names, order and metadata are kept.
 */
export function withInitializers(model: ModelProto, values: Map<string, { data: Float32Array; dims: readonly number[] }>): ModelProto {
  const graph = model.graph!;
  const seen = new Set<string>();
  // A parameter trained in float32 goes back in its stored element type (float16, float64).
  const stored = (t: TensorProto, v: { data: Float32Array; dims: readonly number[] }) => tensorFromArray(t.name!, fromOnnxDataType(t.dataType ?? 1) as DType, v.dims, v.data);
  const initializer: TensorProto[] = (graph.initializer ?? []).map((t) => {
    const v = values.get(t.name!);
    if (!v) return t;
    seen.add(t.name!);
    return { ...stored(t, v), docString: t.docString };
  });
  const node: NodeProto[] = (graph.node ?? []).map((n) => {
    const t = constantTensor(n);
    const v = t && !seen.has(t.name!) ? values.get(t.name!) : undefined;
    if (!t || !v) return n;
    seen.add(t.name!);
    return withConstantValue(n, stored(t, v));
  });
  for (const name of values.keys()) {
    if (!seen.has(name)) throw new RangeError(`export: '${name}' is neither an initializer nor a float Constant of the forward model`);
  }
  return { ...model, graph: { ...graph, initializer, node } };
}
