import { GraphBuilder, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, Value, toOnnxDataType } from '@ortrain/graph-builder';
import { pruneGraph } from './prune';

/**
 * A model of everything `g` holds, cut down to compute exactly `outputs`. One builder holds the forward, loss and
 * backward nodes; the training and eval models are two cuts of it. An output named differently from its
 * value takes the new name at its producer when nothing else reads the value, else through an Identity.
 */
export function modelFor(g: GraphBuilder, outputs: { value: Value; name?: string }[], docString: string,
  otherOpsets: OperatorSetIdProto[] = []): ModelProto {
  const graph = g.toGraph();
  const nodes: NodeProto[] = [...(graph.node ?? [])];
  const readers = new Map<string, number>();
  for (const n of nodes) for (const i of n.input ?? []) readers.set(i, (readers.get(i) ?? 0) + 1);
  for (const { value } of outputs) readers.set(value.name, (readers.get(value.name) ?? 0) + 1);
  const producer = new Map<string, number>();
  nodes.forEach((n, k) => { for (const o of n.output ?? []) producer.set(o, k); });
  const infos = outputs.map(({ value, name }, i) => {
    const out = name ?? value.name;
    if (out !== value.name) {
      const k = producer.get(value.name);
      if (k !== undefined && readers.get(value.name) === 1) {
        // toGraph's nodes share their arrays with the builder: replace, never mutate.
        nodes[k] = { ...nodes[k], output: nodes[k].output!.map((o) => (o === value.name ? out : o)) };
      } else {
        nodes.push({ name: `output_identity_${i}`, opType: 'Identity', input: [value.name], output: [out] });
      }
    }
    return { name: out, type: { tensorType: { elemType: toOnnxDataType(value.dtype ?? 'float32') } } };
  });
  const full: GraphProto = pruneGraph({ ...graph, node: nodes, output: infos }, infos.map((i) => i.name));
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
