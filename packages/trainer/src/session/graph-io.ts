import { GraphBuilder, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto, Value, tensorFromArray, toOnnxDataType } from '@ortrain/graph-builder';
import { pruneGraph } from './prune';

/** Where a parameter sits in its group's flat buffer. */
export interface ParamSlot {
  name: string;
  group: number;
  offset: number;
  size: number;
  dims: number[];
}

/**
 * A model of everything `g` holds, cut down to compute exactly `outputs`. One builder holds the forward, loss and
 * backward nodes; the training and eval models are two cuts of it.
 */
export function modelFor(g: GraphBuilder, outputs: { value: Value; name?: string }[], docString: string,
  otherOpsets: OperatorSetIdProto[] = []): ModelProto {
  const graph = g.toGraph();
  const extra: NodeProto[] = [];
  const infos = outputs.map(({ value, name }, i) => {
    const out = name ?? value.name;
    // An output named differently from its value gets an Identity, so the cut stays a plain copy.
    if (out !== value.name) extra.push({ name: `output_identity_${i}`, opType: 'Identity', input: [value.name], output: [out] });
    return { name: out, type: { tensorType: { elemType: toOnnxDataType(value.dtype ?? 'float32') } } };
  });
  const full: GraphProto = pruneGraph({ ...graph, node: [...(graph.node ?? []), ...extra], output: infos }, infos.map((i) => i.name));
  full.output = infos;
  return {
    irVersion: 8,
    producerName: 'ortrain',
    producerVersion: '0.1.0',
    docString,
    opsetImport: [{ domain: '', version: g.opset }, ...otherOpsets.filter((o) => o.domain && o.domain !== 'ai.onnx')],
    graph: full,
  };
}

/**
 * Replaces each parameter input by a slice of its group's flat buffer (an input named `flat.name(group)`),
 * so parameters that live on the device as one buffer per group feed the model without a trip to the host.
 */
export function sliceParams(graph: GraphProto, flat: { slots: ParamSlot[]; name: (group: number) => string; sizes: number[] }): GraphProto {
  const inputs = new Set((graph.input ?? []).map((i) => i.name!));
  const used = flat.slots.filter((s) => inputs.has(s.name));
  if (used.length === 0) return graph;
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  const groups = new Set<number>();
  const ints = (name: string, values: number[]) => inits.push(tensorFromArray(name, 'int64', [values.length], BigInt64Array.from(values.map(BigInt))));
  ints('param_slice/axes', [0]);
  for (const s of used) {
    groups.add(s.group);
    const base = `param_slice/${s.name}`;
    ints(`${base}/starts`, [s.offset]);
    ints(`${base}/ends`, [s.offset + s.size]);
    ints(`${base}/shape`, s.dims);
    nodes.push({ name: `${base}/Slice`, opType: 'Slice', input: [flat.name(s.group), `${base}/starts`, `${base}/ends`, 'param_slice/axes'], output: [`${base}/flat`] });
    nodes.push({ name: `${base}/Reshape`, opType: 'Reshape', input: [`${base}/flat`, `${base}/shape`], output: [s.name] });
  }
  const names = new Set(used.map((s) => s.name));
  const groupInputs = [...groups].filter((k) => !inputs.has(flat.name(k))).map((k) => ({
    name: flat.name(k),
    type: { tensorType: { elemType: toOnnxDataType('float32'), shape: { dim: [{ dimValue: flat.sizes[k] }] } } },
  }));
  return {
    ...graph,
    input: [...(graph.input ?? []).filter((i) => !names.has(i.name!)), ...groupInputs],
    initializer: [...(graph.initializer ?? []), ...inits],
    node: [...nodes, ...(graph.node ?? [])],
  };
}
