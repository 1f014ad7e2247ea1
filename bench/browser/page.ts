// Browser entry of the bench's browser section: training steps of the digits MLP (Linear(64,128)-ReLU-
// Linear(128,10)) at batch 32 in this Chromium, ortrain on onnxruntime-web's WASM and WebGPU against
// TensorFlow.js's wasm backend. Interleaved rounds as bench/rounds.ts runs them in Node, timed here with
// performance.now(). Every contestant runs on one thread, and reads its loss back every step.
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { Adam } from '@ortrain/optimizers';
import type { ExecutionProvider } from '@ortrain/runtime';
import { createRandom, TrainingSession } from '@ortrain/trainer';
import { ORT_WASM_PATH } from '../../test/browser/paths';
import { runPage, webgpuRequested } from '../../test/browser/page';

export interface BrowserBenchResult {
  /** Contestant name to its median seconds per step, or the reason it did not run. */
  timings: Record<string, { secondsPerStep: number; reps: number; rounds: number } | { failed: string }>;
  userAgent: string;
}

interface Contestant {
  name: string;
  step(): Promise<void> | void;
}

const BATCH = 32;
const BATCHES = 8;

function batches(): { x: Float32Array; y: number[] }[] {
  const random = createRandom(7);
  return Array.from({ length: BATCHES }, () => ({
    x: Float32Array.from({ length: BATCH * 64 }, () => random()),
    y: Array.from({ length: BATCH }, () => Math.floor(random() * 10)),
  }));
}

async function ortrain(provider: ExecutionProvider, model: Uint8Array): Promise<Contestant & { release(): Promise<void> }> {
  const session = await TrainingSession.create({
    model, loss: 'cross_entropy', optimizer: (params) => new Adam(params, { lr: 1e-3 }), ort, executionProviders: [provider],
  });
  if (session.runtime.provider !== provider) throw new Error(`asked for ${provider}, got ${session.runtime.provider}`);
  const T = session.runtime.Tensor;
  const input = session.models.inputs[0].name;
  const feeds = batches().map((b) => ({ inputs: { [input]: new T('float32', b.x, [BATCH, 64]) }, labels: new T('int64', BigInt64Array.from(b.y, BigInt), [BATCH]) }));
  let k = 0;
  return {
    name: `ortrain ${provider === 'wasm' ? 'WASM' : 'WebGPU'}`,
    step: async () => {
      await session.trainStep(feeds[k]);
      k = (k + 1) % feeds.length;
    },
    release: () => session.release(),
  };
}

/** The same network, loss and optimizer written by hand in TensorFlow.js (as bench/training/tfjs-mlp.ts). */
function tfjs(): Contestant & { dispose(): void } {
  const init = (shape: [number, number], fanIn: number) => tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), 'float32', 3);
  const w1 = tf.variable(init([64, 128], 64)), b1 = tf.variable(tf.zeros([128]));
  const w2 = tf.variable(init([128, 10], 128)), b2 = tf.variable(tf.zeros([10]));
  const data = batches();
  const xs = data.map((b) => tf.tensor2d(b.x, [BATCH, 64]));
  const ys = data.map((b) => tf.oneHot(tf.tensor1d(b.y, 'int32'), 10));
  const opt = tf.train.adam(1e-3);
  let k = 0;
  return {
    name: 'TensorFlow.js wasm',
    step: () => {
      const x = xs[k], y = ys[k];
      k = (k + 1) % xs.length;
      const { value, grads } = tf.variableGrads(() => {
        const hidden = tf.relu(tf.add(tf.matMul(x, w1), b1));
        return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(hidden, w2), b2)) as tf.Scalar;
      });
      opt.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      value.dataSync();
      value.dispose();
      tf.dispose(grads);
    },
    dispose: () => {
      opt.dispose();
      tf.dispose([w1, b1, w2, b2, ...xs, ...ys]);
    },
  };
}

async function timeBlock(c: Contestant, reps: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < reps; i++) await c.step();
  return (performance.now() - start) / 1000;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

runPage(async (): Promise<BrowserBenchResult> => {
  const params = new URL(location.href).searchParams;
  const rounds = Number(params.get('rounds') ?? 9);
  const blockSeconds = Number(params.get('block') ?? 0.2);
  ort.env.wasm.wasmPaths = ORT_WASM_PATH;
  ort.env.wasm.numThreads = 1;
  setWasmPaths('/tfjs/');
  setThreadsCount(1);
  const model = new Uint8Array(await (await fetch('/models/digits-mlp.onnx')).arrayBuffer());

  const timings: BrowserBenchResult['timings'] = {};
  const contestants: Contestant[] = [];
  const cleanups: (() => unknown)[] = [];
  const providers: ExecutionProvider[] = webgpuRequested() ? ['wasm', 'webgpu'] : ['wasm'];
  for (const p of providers) {
    try {
      const c = await ortrain(p, model);
      contestants.push(c);
      cleanups.push(() => c.release());
    } catch (e) {
      timings[`ortrain ${p === 'wasm' ? 'WASM' : 'WebGPU'}`] = { failed: (e as Error).message.split('\n')[0] };
    }
  }
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend did not start');
    const c = tfjs();
    contestants.push(c);
    cleanups.push(() => c.dispose());
  } catch (e) {
    timings['TensorFlow.js wasm'] = { failed: (e as Error).message.split('\n')[0] };
  }

  // Warm up, then size each contestant's block to about blockSeconds (at least one step).
  const reps = new Map<Contestant, number>();
  for (const c of contestants) {
    await timeBlock(c, 5);
    const once = (await timeBlock(c, 3)) / 3;
    reps.set(c, Math.max(1, Math.min(500, Math.round(blockSeconds / Math.max(once, 1e-6)))));
  }
  const samples = new Map<Contestant, number[]>(contestants.map((c) => [c, []]));
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < contestants.length; i++) {
      const c = contestants[(i + r) % contestants.length];
      samples.get(c)!.push((await timeBlock(c, reps.get(c)!)) / reps.get(c)!);
    }
  }
  for (const c of contestants) timings[c.name] = { secondsPerStep: median(samples.get(c)!), reps: reps.get(c)!, rounds };
  for (const cleanup of cleanups) await cleanup();
  return { timings, userAgent: navigator.userAgent };
});
