// Shared by the autodiff tests: running models on onnxruntime-node and comparing arrays.
import * as ort from 'onnxruntime-node';
import { encodeModel } from '@ortrain/graph-builder';
import type { ModelProto } from '@ortrain/graph-builder';
import { createRandom } from '../../src/random';

export type Feeds = Record<string, ort.Tensor>;

export async function session(model: ModelProto, executionProviders: (string | { name: string; preferredLayout?: string })[] = ['cpu']): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeModel(model), { executionProviders: executionProviders as ort.InferenceSession.ExecutionProviderConfig[], graphOptimizationLevel: 'all' });
}

/** Runs a session and returns every output as float64 numbers. */
export async function run(s: ort.InferenceSession, feeds: Feeds): Promise<Record<string, Float64Array>> {
  const out = await s.run(feeds);
  const res: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(out)) res[k] = Float64Array.from(v.data as ArrayLike<number>);
  return res;
}

/** ||a - b|| / max(||b||, tiny) */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num += (a[i] - b[i]) ** 2; den += b[i] ** 2; }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-12);
}

/** Seeded, so that every run tests the same numbers. */
export const rng = createRandom;

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
