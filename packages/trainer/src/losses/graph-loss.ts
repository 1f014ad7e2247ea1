// A custom loss given as a small ONNX model: two inputs, the prediction and the labels, and one scalar
// output. It is inlined after the model output like the built-in losses, and differentiated the same way.
import { decodeModel, fromOnnxDataType } from '@ortrain/graph-builder';
import type { DType, Dim, FunctionProto, GraphProto, ModelProto, NodeProto } from '@ortrain/graph-builder';
import type { LabelSpec, LossBuilder, PredictionInfo } from './types';

export interface GraphLoss {
  build: LossBuilder;
  labels: LabelSpec;
  /** The model's bytes as base64, so that the spec stays plain JSON (artifacts, checkpoints). */
  base64: string;
}

/** Reads and checks a loss model (bytes, a decoded ModelProto, or base64 from a saved spec). */
export function graphLoss(source: unknown, prediction?: PredictionInfo): GraphLoss {
  let bytes: Uint8Array;
  if (source instanceof Uint8Array) bytes = source;
  else if (typeof source === 'string') bytes = fromBase64(source);
  else throw new RangeError(`loss: graph must be the bytes of an ONNX model (a Uint8Array), got ${source === null ? 'null' : typeof source}`);
  const model: ModelProto = decodeModel(bytes, 'loss graph');
  // A loss written as an ONNX function: the graph calls a function of the model; its body is inlined.
  const graph: GraphProto = { ...model.graph, node: inlineFunctions(model.graph?.node ?? [], model.functions ?? [], new Set()) };
  const inits = new Set((graph.initializer ?? []).map((t) => t.name!));
  const inputs = (graph.input ?? []).filter((i) => !inits.has(i.name!));
  if (inputs.length !== 2) {
    throw new RangeError(`loss graph: must have two inputs (the prediction, then the labels), has ${inputs.length}${inputs.length ? ` (${inputs.map((i) => `'${i.name}'`).join(', ')})` : ''}`);
  }
  if ((graph.output ?? []).length !== 1) throw new RangeError(`loss graph: must have one output (the scalar loss), has ${(graph.output ?? []).length}`);
  const typeOf = (i: number): { dtype?: DType; shape?: Dim[] } => {
    const t = inputs[i].type?.tensorType;
    const shape = t?.shape ? (t.shape.dim ?? []).map((d, k) => (d.dimValue !== undefined && d.dimValue !== null ? Number(d.dimValue) : d.dimParam || `loss_${inputs[i].name}_${k}`)) : undefined;
    return { dtype: t?.elemType ? fromOnnxDataType(t.elemType) : undefined, shape };
  };
  const p = typeOf(0), l = typeOf(1);
  if (!l.dtype) throw new RangeError(`loss graph: its labels input '${inputs[1].name}' has no tensor type`);
  if (prediction?.dtype && p.dtype && p.dtype !== prediction.dtype) {
    throw new RangeError(`loss graph: its prediction input '${inputs[0].name}' is ${p.dtype}, the model output is ${prediction.dtype}`);
  }
  if (prediction?.shape && p.shape) {
    const ps = prediction.shape;
    const fits = ps.length === p.shape.length && ps.every((d, i) => typeof d !== 'number' || typeof p.shape![i] !== 'number' || d === p.shape![i]);
    if (!fits) throw new RangeError(`loss graph: its prediction input '${inputs[0].name}' is [${p.shape.join(', ')}], the model output is [${ps.join(', ')}]`);
  }
  const names = [inputs[0].name!, inputs[1].name!];
  const out = graph.output![0].name!;
  const build: LossBuilder = (g, prediction, labels) => g.inline(graph, { [names[0]]: prediction, [names[1]]: labels }, 'graph_loss')[out];
  return { build, labels: l.shape ? { dtype: l.dtype, shape: l.shape } : { dtype: l.dtype }, base64: toBase64(bytes) };
}

/** Calls of the model's local functions replaced by their bodies (names made unique per call). */
function inlineFunctions(nodes: NodeProto[], functions: FunctionProto[], active: Set<string>): NodeProto[] {
  if (functions.length === 0) return nodes;
  const out: NodeProto[] = [];
  nodes.forEach((n, k) => {
    const f = functions.find((x) => x.name === n.opType && (x.domain ?? '') === (n.domain ?? ''));
    if (!f) { out.push(n); return; }
    const id = `${f.domain ?? ''}.${f.name}`;
    if (active.has(id)) throw new RangeError(`loss graph: function '${f.name}' calls itself`);
    if ((f.attribute ?? []).length || (f.attributeProto ?? []).length) throw new RangeError(`loss graph: function '${f.name}' takes attributes, which are not supported`);
    const prefix = `${n.name || f.name}_${k}/`;
    const map = new Map<string, string>();
    (f.input ?? []).forEach((x, i) => map.set(x, n.input?.[i] ?? ''));
    (f.output ?? []).forEach((x, i) => map.set(x, n.output?.[i] ?? ''));
    const rename = (x: string) => (x ? map.get(x) ?? `${prefix}${x}` : x);
    const body = (f.node ?? []).map((b) => ({ ...b, name: `${prefix}${b.name ?? b.opType}`, input: (b.input ?? []).map(rename), output: (b.output ?? []).map(rename) }));
    out.push(...inlineFunctions(body, functions, new Set([...active, id])));
  });
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
