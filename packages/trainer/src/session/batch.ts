import type { Tensor } from 'onnxruntime-common';
import type { DType, Dim, GraphProto } from '@ortrain/graph-builder';
import { fromOnnxDataType } from '@ortrain/graph-builder';

/** One batch: the model's inputs by name, and the labels of the loss. */
export interface Batch {
  inputs: Record<string, Tensor>;
  labels: Tensor;
}

/** What a tensor fed to the model must look like; symbolic dimensions (strings) must agree across tensors. */
export interface TensorSpec {
  name: string;
  dtype: DType;
  shape?: readonly (Dim | undefined)[];
}

export interface LabelCheck extends TensorSpec {
  /** Number of classes when labels are class indices. */
  classes?: number;
  /** A label value that is skipped rather than range-checked (cross-entropy's ignoreIndex). */
  ignoreIndex?: number;
}

/** The graph inputs that are not initializers, as specs. */
export function inputSpecs(graph: GraphProto, exclude: Set<string> = new Set()): TensorSpec[] {
  const init = new Set((graph.initializer ?? []).map((t) => t.name!));
  return (graph.input ?? [])
    .filter((i) => !init.has(i.name!) && !exclude.has(i.name!))
    .map((i) => {
      const t = i.type?.tensorType;
      if (!t?.elemType) throw new RangeError(`model input '${i.name}' is not a tensor; only tensor inputs can be fed`);
      const shape = t.shape ? (t.shape.dim ?? []).map((d) => (d.dimValue !== undefined ? Number(d.dimValue) : d.dimParam || undefined)) : undefined;
      return { name: i.name!, dtype: fromOnnxDataType(t.elemType), shape };
    });
}

/**
 * Checks a batch against the model's inputs and the loss's labels before anything runs, so that a bad batch
 * is an error naming the tensor and changes nothing.
 */
export function checkBatch(batch: Batch, inputs: TensorSpec[], labels: LabelCheck | undefined, what: string): void {
  if (!batch || typeof batch !== 'object' || !batch.inputs || typeof batch.inputs !== 'object') {
    throw new TypeError(`${what}: expected { inputs: { <name>: Tensor }, labels: Tensor }, got ${describe(batch)}`);
  }
  const expected = inputs.map((i) => i.name);
  for (const name of Object.keys(batch.inputs)) {
    if (!expected.includes(name)) {
      throw new RangeError(`${what}: '${name}' is not an input of the model; its inputs are ${expected.map((n) => `'${n}'`).join(', ')}`);
    }
  }
  const sizes = new Map<string, { size: number; from: string }>();
  for (const spec of inputs) {
    const t = batch.inputs[spec.name];
    if (t === undefined) throw new RangeError(`${what}: input '${spec.name}' is missing (the model's inputs are ${expected.map((n) => `'${n}'`).join(', ')})`);
    checkTensor(t, spec, what, `input '${spec.name}'`, sizes);
  }
  if (!labels) return;
  if (batch.labels === undefined) throw new RangeError(`${what}: labels are missing (the loss needs ${labels.dtype} labels)`);
  checkTensor(batch.labels, labels, what, 'labels', sizes);
  if (labels.classes !== undefined && batch.labels.location === 'cpu') checkClasses(batch.labels, labels, what);
}

// Runs before every step: messages are only built when a check fails.
function checkTensor(t: Tensor, spec: TensorSpec, what: string, name: string, sizes: Map<string, { size: number; from: string }>): void {
  const where = () => `${what}: ${name}`;
  if (!t || typeof t !== 'object' || typeof t.type !== 'string' || !Array.isArray(t.dims)) {
    throw new TypeError(`${where()}: expected an onnxruntime Tensor, got ${describe(t)}`);
  }
  if (t.type !== spec.dtype) throw new TypeError(`${where()}: element type is ${t.type}, the model wants ${spec.dtype}`);
  if (!spec.shape) return;
  const want = spec.shape;
  const shown = () => `[${want.map((d) => d ?? '?').join(', ')}]`;
  if (t.dims.length !== want.length) {
    throw new RangeError(`${where()}: shape [${t.dims.join(', ')}] has rank ${t.dims.length}, the model wants rank ${want.length} ${shown()}`);
  }
  for (let axis = 0; axis < want.length; axis++) {
    const d = want[axis];
    const got = t.dims[axis];
    if (typeof d === 'number' && got !== d) {
      throw new RangeError(`${where()}: shape [${t.dims.join(', ')}] has ${got} at axis ${axis}, the model wants ${d} ${shown()}`);
    }
    if (typeof d === 'string') {
      const bound = sizes.get(d);
      if (bound && bound.size !== got) {
        throw new RangeError(`${where()}: shape [${t.dims.join(', ')}] has ${d} = ${got} at axis ${axis}, but ${bound.from} has ${d} = ${bound.size}`);
      }
      if (!bound) sizes.set(d, { size: got, from: name });
    }
  }
}

function checkClasses(t: Tensor, spec: LabelCheck, what: string): void {
  const data = t.data as ArrayLike<number | bigint>;
  const classes = spec.classes!;
  // int64 labels: compare as BigInt, converting only a bad one for the message.
  if (data instanceof BigInt64Array) {
    const n = BigInt(classes);
    const ignore = spec.ignoreIndex === undefined ? undefined : BigInt(spec.ignoreIndex);
    let i = 0;
    for (; i < data.length; i++) if ((data[i] < 0n || data[i] >= n) && data[i] !== ignore) break;
    if (i === data.length) return;
  }
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (v === spec.ignoreIndex) continue;
    if (!(v >= 0 && v < classes) || !Number.isInteger(v)) {
      const ignore = spec.ignoreIndex !== undefined ? ` or ignoreIndex ${spec.ignoreIndex}` : '';
      throw new RangeError(`${what}: labels[${i}] = ${v} is out of range: class indices must be in [0, ${classes})${ignore}`);
    }
  }
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x !== 'object') return `${typeof x} ${String(x)}`;
  return (x as object).constructor?.name ?? 'object';
}
