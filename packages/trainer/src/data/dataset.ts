import type { Tensor } from 'onnxruntime-common';
import { Tensor as CommonTensor } from 'onnxruntime-common';
import type { Batch } from '../session/batch';

/** Anything `fit` trains on: a number of examples, and a batch of any of them by index. */
export interface Dataset {
  readonly length: number;
  /** The examples at `indices`, in that order, as one batch (the batch dimension first). */
  batch(indices: Uint32Array): Batch | Promise<Batch>;
}

/** The Tensor class of the onnxruntime that will run the batches (a session's `runtime.Tensor`). */
export type TensorConstructor = typeof CommonTensor;

/** Typed arrays a tensor can be made of, with their element types. */
export type ExampleArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

/** Per-example values: `data` holds `length * product(shape)` values, example after example. */
export interface ExampleValues {
  data: ExampleArray;
  /** One example's shape (without the batch dimension); [] for a scalar per example. */
  shape: readonly number[];
}

const ELEMENT_TYPES = new Map<Function, Tensor.Type>([
  [Float32Array, 'float32'], [Float64Array, 'float64'], [Int32Array, 'int32'], [BigInt64Array, 'int64'], [Uint8Array, 'uint8'], [Int8Array, 'int8'],
]);

/**
 * A dataset over typed arrays: `inputs` by model input name and `labels`, each holding its examples one
 * after another. Batches copy the asked examples into fresh tensors of `Tensor` (default onnxruntime-common's,
 * which onnxruntime-node uses; in a browser pass the session's `runtime.Tensor`).
 */
export function arrayDataset(values: { inputs: Record<string, ExampleValues>; labels: ExampleValues }, options: { Tensor?: TensorConstructor } = {}): Dataset {
  if (!values || typeof values !== 'object' || !values.inputs || !values.labels) {
    throw new TypeError('arrayDataset: expected { inputs: { <name>: { data, shape } }, labels: { data, shape } }');
  }
  const T = options.Tensor ?? CommonTensor;
  const parts = [...Object.entries(values.inputs).map(([n, v]) => ({ name: `input '${n}'`, key: n, v })), { name: 'labels', key: '', v: values.labels }];
  let length: number | undefined;
  let from = '';
  for (const { name, v } of parts) {
    if (!v || !ELEMENT_TYPES.has(v.data?.constructor)) {
      throw new TypeError(`arrayDataset: ${name}: data must be a Float32Array, Float64Array, Int32Array, BigInt64Array, Uint8Array or Int8Array`);
    }
    if (!Array.isArray(v.shape) || !v.shape.every((d) => Number.isInteger(d) && d >= 1)) {
      throw new RangeError(`arrayDataset: ${name}: shape must list positive integers (one example's shape), got ${JSON.stringify(v.shape)}`);
    }
    const per = v.shape.reduce((a, b) => a * b, 1);
    if (v.data.length % per !== 0) throw new RangeError(`arrayDataset: ${name} holds ${v.data.length} values, not a whole number of examples of shape [${v.shape.join(', ')}]`);
    const n = v.data.length / per;
    if (length === undefined) {
      length = n;
      from = name;
    } else if (n !== length) {
      throw new RangeError(`arrayDataset: ${name} holds ${n} examples, but ${from} holds ${length}`);
    }
  }
  const size = length ?? 0;
  const gather = (v: ExampleValues, indices: Uint32Array): Tensor => {
    const per = v.shape.reduce((a, b) => a * b, 1);
    const Ctor = v.data.constructor as { new (n: number): ExampleArray };
    const out = new Ctor(indices.length * per);
    for (let i = 0; i < indices.length; i++) {
      const r = indices[i];
      if (!(r < size)) throw new RangeError(`dataset: example index ${r} is out of range (the dataset holds ${size})`);
      (out as Float32Array).set((v.data as Float32Array).subarray(r * per, (r + 1) * per), i * per);
    }
    return new T(ELEMENT_TYPES.get(v.data.constructor)! as 'float32', out as Float32Array, [indices.length, ...v.shape]);
  };
  return {
    length: size,
    batch(indices: Uint32Array): Batch {
      const inputs: Record<string, Tensor> = {};
      for (const [name, v] of Object.entries(values.inputs)) inputs[name] = gather(v, indices);
      return { inputs, labels: gather(values.labels, indices) };
    },
  };
}

/** The examples of `dataset` at `indices`, as a dataset of their own (a train or held-out split). */
export function subset(dataset: Dataset, indices: Uint32Array): Dataset {
  for (const i of indices) {
    if (!(i < dataset.length)) throw new RangeError(`subset: index ${i} is out of range (the dataset holds ${dataset.length})`);
  }
  return {
    length: indices.length,
    batch: (rows: Uint32Array) => dataset.batch(rows.map((r) => {
      if (!(r < indices.length)) throw new RangeError(`dataset: example index ${r} is out of range (the subset holds ${indices.length})`);
      return indices[r];
    })),
  };
}
