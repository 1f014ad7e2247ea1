import { DType, ModelProto, TensorProto, fromOnnxDataType, tensorFromArray } from '@ortrain/graph-builder';

/**
 * The forward model with new values for some initializers (by name), everything else as it was. Values
 * change in place of the old initializer, so names, order and metadata are kept.
 */
export function withInitializers(model: ModelProto, values: Map<string, { data: Float32Array; dims: readonly number[] }>): ModelProto {
  const graph = model.graph!;
  const seen = new Set<string>();
  const initializer: TensorProto[] = (graph.initializer ?? []).map((t) => {
    const v = values.get(t.name!);
    if (!v) return t;
    seen.add(t.name!);
    // A parameter trained in float32 goes back in its stored element type (float16, float64).
    const dtype: DType = fromOnnxDataType(t.dataType ?? 1);
    return { ...tensorFromArray(t.name!, dtype, v.dims, v.data), docString: t.docString };
  });
  for (const name of values.keys()) {
    if (!seen.has(name)) throw new RangeError(`export: '${name}' is not an initializer of the forward model`);
  }
  return { ...model, graph: { ...graph, initializer } };
}
