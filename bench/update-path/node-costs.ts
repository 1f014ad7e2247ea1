// Issue 11: what one node and one graph output cost on onnxruntime-node's CPU provider (one intra-op
// thread), the terms that bound an optimizer step made of element-wise nodes:
//   1. a fresh process's first runs, in means of 50 (V8 frees the runs' output buffers only once external
//      memory pressure starts its collections; until then every output is new memory from the system);
//   2. per extra node, by op type, over N floats: a chain of 13 nodes against 1, fastest of 15 blocks;
//   3. Adam's 12-node chain with 3 outputs (p, m, v), with only p, and with the outputs preallocated
//      (onnxruntime-node 1.30 copies them into fresh buffers all the same).
// Run: npx tsx bench/update-path/node-costs.ts [N (default 10000)]
import { encodeModel, GraphBuilder, Value } from '@ortrain/graph-builder';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { adamChunkModel, chunkStepIo } from './adam-chunks';

const OPTIONS: InferenceSession.SessionOptions = {
  executionProviders: ['cpu'], intraOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: '0' } } },
};

/** Microseconds per run, fastest of `blocks` blocks of `reps` runs. */
async function fastest(run: () => Promise<unknown>, blocks = 15, reps = 300): Promise<number> {
  let best = Infinity;
  for (let b = 0; b < blocks; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) await run();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / reps / 1e3);
  }
  return best;
}

async function firstRuns(n: number): Promise<string> {
  const session = await InferenceSession.create(adamChunkModel([n]), OPTIONS);
  const io = chunkStepIo(n, [n]);
  const per: number[] = [];
  for (let i = 0; i < 800; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(io.next().feeds);
    io.swap();
    per.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  const means: string[] = [];
  for (let k = 0; k < per.length; k += 50) means.push((per.slice(k, k + 50).reduce((a, b) => a + b, 0) / 50).toFixed(0));
  return means.join(' ');
}

type Step = (g: GraphBuilder, x: Value, y: Value, s: Value) => Value;
const OPS: Record<string, Step> = {
  'Mul by a scalar input': (g, x, _y, s) => g.mul(x, s),
  'Add by a scalar input': (g, x, _y, s) => g.add(x, s),
  'Add of two tensors': (g, x, y) => g.add(x, y),
  'Mul of two tensors': (g, x, y) => g.mul(x, y),
  'Div of two tensors': (g, x, y) => g.div(x, y),
  'Sqrt': (g, x) => g.sqrt(x),
};

async function chainCost(n: number, step: Step, nodes: number): Promise<number> {
  const g = new GraphBuilder('chain');
  const s = g.input('s', 'float32', []);
  const y = g.input('y', 'float32', [n]);
  let x = g.mul(g.input('x', 'float32', [n]), s);
  for (let i = 1; i < nodes; i++) x = step(g, x, y, s);
  g.output(x, 'out');
  const session = await InferenceSession.create(encodeModel(g.build()), OPTIONS);
  const feeds = {
    x: new Tensor('float32', new Float32Array(n).fill(1.0001), [n]),
    y: new Tensor('float32', new Float32Array(n).fill(1.0001), [n]),
    s: new Tensor('float32', Float32Array.of(1), []),
  };
  return fastest(() => session.run(feeds));
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1e4);
  console.log(`1. A fresh process, Adam over ${n} floats: us per run, means of 50 runs: ${await firstRuns(n)}`);
  console.log(`\n2. Per extra node over ${n} floats (chain of 13 against 1, fastest of 15 blocks of 300 runs)`);
  for (const [name, step] of Object.entries(OPS)) {
    const one = await chainCost(n, step, 1), thirteen = await chainCost(n, step, 13);
    const per = (thirteen - one) / 12;
    console.log(`   ${name.padEnd(22)} ${per.toFixed(2)} us per node, ${((per * 1e3) / n).toFixed(3)} ns per element (1 node: ${one.toFixed(1)} us per run)`);
  }
  const { feeds, fetches } = chunkStepIo(n, [n]).next();
  // State and gradient as a few steps in: m 1e-3, v 1e-6, g 1e-2.
  (feeds.m0.data as Float32Array).fill(0.001);
  (feeds.v0.data as Float32Array).fill(1e-6);
  const pmv = await InferenceSession.create(adamChunkModel([n]), OPTIONS);
  const p = await InferenceSession.create(adamChunkModel([n], { paramOnly: true }), OPTIONS);
  console.log(`\n3. Adam's 12-node chain over ${n} floats, us per run (fastest of 15 blocks of 300 runs)`);
  console.log(`   outputs p, m, v:               ${(await fastest(() => pmv.run(feeds))).toFixed(1)}`);
  console.log(`   outputs p, m, v preallocated:  ${(await fastest(() => pmv.run(feeds, fetches))).toFixed(1)}`);
  console.log(`   output p only:                 ${(await fastest(() => p.run(feeds))).toFixed(1)}`);
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
