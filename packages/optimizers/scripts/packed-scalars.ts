// Should a step's scalars be fed as one packed [k] input? Times the run of Adam's 12-node chain over a small
// flat group (the fixed cost of a small step) with its 6 scalars fed as 6 inputs of shape [] against one input
// [6] split into 6 in the graph (one Split node more), interleaved; minimum and median us per run.
//   npx tsx --tsconfig tsconfig.base.json packages/optimizers/scripts/packed-scalars.ts [rounds] [elements]
import { GraphBuilder, Value, encodeModel } from '@ortrain/graph-builder';
import { Runtime } from '@ortrain/runtime';
import type { Tensor } from 'onnxruntime-common';

const rounds = Number(process.argv[2] ?? 15);
const n = Number(process.argv[3] ?? 400);
const names = ['b1', 'c1', 'b2', 'c2', 'nlr', 'eps'];

function model(packed: boolean): Uint8Array {
  const g = new GraphBuilder('adam');
  const p = g.input('p', 'float32', [n]), gr = g.input('g', 'float32', [n]), m = g.input('m', 'float32', [n]), v = g.input('v', 'float32', [n]);
  let s: Record<string, Value>;
  if (packed) {
    const all = g.input('s', 'float32', [names.length]);
    const parts = g.node('Split', [all], { axis: 0 }, { outputs: names.length, dtypes: names.map(() => 'float32'), shapes: names.map(() => [1]) });
    s = Object.fromEntries(names.map((k, i) => [k, parts[i]]));
  } else {
    s = Object.fromEntries(names.map((k) => [k, g.input(k, 'float32', [])]));
  }
  const m2 = g.add(g.mul(m, s.b1), g.mul(gr, s.c1));
  const v2 = g.add(g.mul(v, s.b2), g.mul(g.mul(gr, gr), s.c2));
  const p2 = g.add(p, g.mul(s.nlr, g.div(m2, g.add(g.sqrt(v2), s.eps))));
  g.output(p2, 'p.out');
  g.output(m2, 'm.out');
  g.output(v2, 'v.out');
  return encodeModel(g.build());
}

async function main(): Promise<void> {
  const rt = await Runtime.create({ executionProviders: ['cpu'] });
  const T = rt.Tensor;
  const arrays = { p: new Float32Array(n).fill(0.5), g: new Float32Array(n).fill(0.01), m: new Float32Array(n), v: new Float32Array(n) };
  const contestants = await Promise.all([false, true].map(async (packed) => {
    const session = await rt.createSession(model(packed), { intraOpNumThreads: 1 });
    // As the optimizer does per step: scalar tensors made once and rewritten, the feed object built anew.
    const scalars = packed ? [new T('float32', new Float32Array(6), [6])] : names.map(() => new T('float32', new Float32Array(1), []));
    const values = [0.9, 0.1, 0.999, 0.001, -1e-3, 1e-8];
    const feedsOf = (): Record<string, Tensor> => {
      const feeds: Record<string, Tensor> = {};
      for (const k of ['p', 'g', 'm', 'v'] as const) feeds[k] = new T('float32', arrays[k], [n]);
      if (packed) {
        (scalars[0].data as Float32Array).set(values);
        feeds.s = scalars[0];
      } else {
        names.forEach((k, i) => { (scalars[i].data as Float32Array)[0] = values[i]; feeds[k] = scalars[i]; });
      }
      return feeds;
    };
    return { name: packed ? 'packed [6] + Split' : '6 scalar inputs', session, feedsOf, times: [] as number[] };
  }));
  const block = 500;
  for (let r = 0; r < rounds + 2; r++) {
    for (const c of contestants) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < block; i++) await c.session.run(c.feedsOf());
      if (r >= 2) c.times.push(Number(process.hrtime.bigint() - t0) / block / 1000);
    }
  }
  for (const c of contestants) {
    const s = [...c.times].sort((a, b) => a - b);
    console.log(`${c.name.padEnd(20)} min ${s[0].toFixed(2)} us, median ${s[Math.floor(s.length / 2)].toFixed(2)} us per run`);
  }
}

void main();
