import { readFileSync } from 'node:fs';
import { decodeModel, type DType, fromOnnxDataType, toOnnxDataType, type ValueInfoProto } from '@ortrain/graph-builder';
import { InputError } from './errors';

/** A graph input or output as the model declares it. A dimension is a number, a symbolic name, or unknown. */
export interface TensorInfo {
  name: string;
  dtype: string;
  shape: (number | string | null)[] | null;
}

export interface ModelInfo {
  /** Inputs to feed: graph inputs that are not initializers. */
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  /** Names of the float initializers: what trains unless --trainable narrows it. */
  floatInitializers: string[];
}

const FLOAT_TYPES = new Set(['float32', 'float64', 'float16'].map((d) => toOnnxDataType(d as DType)));

function tensorInfo(value: ValueInfoProto): TensorInfo {
  const tensorType = value.type?.tensorType;
  let dtype = 'not a tensor';
  if (tensorType) {
    try {
      dtype = fromOnnxDataType(tensorType.elemType ?? 0);
    } catch {
      dtype = `ONNX element type ${tensorType.elemType ?? 0}`;
    }
  }
  const dims = tensorType?.shape?.dim;
  const shape = dims ? dims.map((d) => d.dimValue ?? d.dimParam ?? null) : null;
  return { name: value.name ?? '', dtype, shape };
}

/** The inputs and outputs of ONNX model bytes; `source` names the model in errors. */
export function describeModel(bytes: Uint8Array, source = 'model'): ModelInfo {
  let graph;
  try {
    graph = decodeModel(bytes, source).graph!;
  } catch (err) {
    throw new InputError((err as Error).message);
  }
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  return {
    inputs: (graph.input ?? []).filter((v) => !initializers.has(v.name)).map(tensorInfo),
    outputs: (graph.output ?? []).map(tensorInfo),
    floatInitializers: (graph.initializer ?? []).filter((t) => FLOAT_TYPES.has(t.dataType ?? 0)).map((t) => t.name ?? ''),
  };
}

/** Reads an ONNX model file, with an error naming the path when it is missing or not a model. */
export function readModel(path: string): ModelInfo & { bytes: Uint8Array } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`model file not found: ${path}`);
    throw new InputError(`cannot read model file ${path}: ${(err as Error).message}`);
  }
  return { bytes, ...describeModel(bytes, path) };
}

/** A shape for messages: [batch, 64]. */
export function formatShape(shape: TensorInfo['shape']): string {
  return shape ? `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '(unknown shape)';
}
