// Reads the torch oracle of the losses (test/fixtures/losses.json, made by tools/oracles/losses/make_losses.py)
// and runs a loss graph through onnxruntime-node.
import * as fs from 'fs';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { DType, Dim, GraphBuilder, ModelProto, Value, encodeModel } from '@ortrain/graph-builder';
import type { LossSpec, LossBuilder } from '../../src/losses';

export interface OracleTensor { dtype: DType; shape: number[]; data: (number | string)[] }
export interface LossCase {
  name: string;
  spec: LossSpec;
  prediction: OracleTensor;
  labels: OracleTensor;
  loss: number | string;
  grad: OracleTensor | null;
}

const toNumber = (v: number | string): number => (typeof v === 'number' ? v : Number(v));

export function loadLossCases(): LossCase[] {
  const file = path.join(__dirname, '..', 'fixtures', 'losses.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).cases as LossCase[];
}

export const oracleNumber = toNumber;

export function ortTensor(dtype: DType, shape: readonly number[], data: readonly (number | string)[]): ort.Tensor {
  switch (dtype) {
    case 'float32': return new ort.Tensor('float32', Float32Array.from(data, toNumber), [...shape]);
    case 'float64': return new ort.Tensor('float64', Float64Array.from(data, toNumber), [...shape]);
    case 'int64': return new ort.Tensor('int64', BigInt64Array.from(data, (v) => BigInt(v)), [...shape]);
    default: throw new RangeError(`test tensor: dtype ${dtype} not handled`);
  }
}

/**
 * A model whose inputs are `prediction` and `labels` and whose output is `loss`. With `hideShapes` the loss
 * sees values of unknown shape, as a loss appended after ops whose output shapes are not inferred does.
 */
export function lossModel(build: LossBuilder, prediction: { dtype: DType; shape: Dim[] }, labels: { dtype: DType; shape: Dim[] }, hideShapes = false): ModelProto {
  const g = new GraphBuilder('loss');
  const p = g.input('prediction', prediction.dtype, prediction.shape);
  const l = g.input('labels', labels.dtype, labels.shape);
  const hide = (v: Value) => (hideShapes ? new Value(v.name, v.dtype, undefined) : v);
  const loss: Value = build(g, hide(p), hide(l));
  g.output(loss, 'loss');
  return g.build();
}

export async function runModel(model: ModelProto, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(encodeModel(model), { executionProviders: ['cpu'] });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** Relative closeness; NaN only matches NaN. */
export function close(got: number, want: number, rtol: number): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  return Math.abs(got - want) <= rtol * Math.abs(want) + 1e-12;
}
