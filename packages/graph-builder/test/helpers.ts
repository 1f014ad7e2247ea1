// Test helpers: running a model in onnxruntime-node (the package itself never imports ONNX Runtime),
// seeded random data, and the fixture models.
import * as fs from 'fs';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { ModelProto, encodeModel } from '@ortrain/graph-builder';

export const FIXTURES = path.join(__dirname, '../../../fixtures/models');
export const FIXTURE_MODELS = ['mlp', 'lenet', 'transformer', 'mobilenet_v3_small_bn'] as const;

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(FIXTURES, `${name}.onnx`)));
}

type Feed = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | boolean[];

/** Runs a model (or its bytes) once on the CPU provider and returns every output. */
export async function run(model: ModelProto | Uint8Array, feeds: Record<string, { data: Feed; dims: number[]; type?: ort.Tensor.Type }>): Promise<Record<string, ort.Tensor>> {
  const bytes = model instanceof Uint8Array ? model : encodeModel(model);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  try {
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) {
      tensors[name] = f.type ? new ort.Tensor(f.type, f.data as never, f.dims) : new ort.Tensor(f.data as never, f.dims);
    }
    return await session.run(tensors);
  } finally {
    await session.release();
  }
}

/** The values of an output tensor as plain numbers. */
export function values(t: ort.Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint | boolean>, Number);
}

/** The bytes of a tensor's data, for bitwise comparisons. */
export function bytesOf(t: ort.Tensor): Uint8Array {
  const d = t.data as ArrayBufferView;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** A seeded generator of floats in [0, 1) (mulberry32), so failures reproduce. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
