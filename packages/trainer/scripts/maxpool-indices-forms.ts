// MaxPool forward plus the gradient back to its input at lenet's two pools (batch 32), in three forms:
// - autodiff: the plain MaxPool (Y only) and the gradient as the autodiff writes it (rules/pool.ts);
// - indices: MaxPool with its Indices output, then one ScatterElements(reduction 'add') of dY over the
//   flattened input (Indices count over the whole NCHW tensor with storage_order 0);
// - inPlace: x viewed as [N, C, y0, 2, y1, 2] compared with Y, the first maximum chosen by a score and a
//   ReduceMax over the window axes, the gradient put back by Where in x's own layout.
// Each model computes loss = sum(Y * dY) first. Checks that the three gradients agree, then prints median
// and minimum microseconds per run on the CPU provider, the forms interleaved.
// Usage: npx tsx packages/trainer/scripts/maxpool-indices-forms.ts [intraOpNumThreads, default 1]
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { encodeModel, GraphBuilder } from '@ortrain/graph-builder';
import { buildGradientModel } from '../src/autodiff';

const shapes: [string, number[]][] = [['pool1', [32, 6, 24, 24]], ['pool2', [32, 16, 8, 8]]];

function autodiff(x: number[], size: number): Uint8Array {
  const g = new GraphBuilder();
  const xv = g.initializer('x', 'float32', x, new Float32Array(size));
  const dy = g.input('dy', 'float32', [x[0], x[1], x[2] / 2, x[3] / 2]);
  const y = g.op('MaxPool', [xv], { kernel_shape: [2, 2], strides: [2, 2] });
  g.output(g.op('ReduceSum', [g.mul(y, dy)], { keepdims: 0 }), 'loss');
  return encodeModel(buildGradientModel(g.build(), { lossOutput: 'loss', trainable: ['x'] }).model);
}

function indices(x: number[], size: number): Uint8Array {
  const g = new GraphBuilder();
  const xv = g.input('x', 'float32', x);
  const dy = g.input('dy', 'float32', [x[0], x[1], x[2] / 2, x[3] / 2]);
  const [y, at] = g.node('MaxPool', [xv], { kernel_shape: [2, 2], strides: [2, 2] }, { outputs: 2, dtypes: ['float32', 'int64'] });
  g.output(g.op('ReduceSum', [g.mul(y, dy)], { keepdims: 0 }), 'loss');
  const zeros = g.op('ConstantOfShape', [g.ints([size])], {}, { dtypes: ['float32'] });
  const flat = g.op('ScatterElements', [zeros, g.reshape(at, [-1]), g.reshape(dy, [-1])], { axis: 0, reduction: 'add' });
  g.output(g.reshape(flat, x), 'dx');
  return encodeModel(g.build());
}

/** The first maximum of each window found in place: x viewed as [N, C, y0, 2, y1, 2] against Y. */
function inPlace(x: number[]): Uint8Array {
  const g = new GraphBuilder();
  const xv = g.input('x', 'float32', x);
  const dy = g.input('dy', 'float32', [x[0], x[1], x[2] / 2, x[3] / 2]);
  const y = g.op('MaxPool', [xv], { kernel_shape: [2, 2], strides: [2, 2] });
  g.output(g.op('ReduceSum', [g.mul(y, dy)], { keepdims: 0 }), 'loss');
  const [N, C, H, W] = x;
  const view = g.reshape(xv, [N, C, H / 2, 2, W / 2, 2]);
  const yv = g.reshape(y, [N, C, H / 2, 1, W / 2, 1]);
  const score = g.where(g.equal(view, yv), g.constant([4, 3, 2, 1], 'float32', [2, 1, 2]), 0);
  const best = g.op('ReduceMax', [score], { axes: [3, 5], keepdims: 1 });
  const dx = g.where(g.equal(score, best), g.reshape(dy, [N, C, H / 2, 1, W / 2, 1]), 0);
  g.output(g.reshape(dx, x), 'dx');
  return encodeModel(g.build());
}

async function main(): Promise<void> {
  const threads = Number(process.argv[2] ?? 1);
  const opts = { executionProviders: ['cpu'], intraOpNumThreads: threads };
  for (const [name, x] of shapes) {
    const size = x.reduce((a, b) => a * b, 1);
    const feeds = {
      x: new Tensor('float32', Float32Array.from({ length: size }, Math.random), x),
      dy: new Tensor('float32', Float32Array.from({ length: size / 4 }, Math.random), [x[0], x[1], x[2] / 2, x[3] / 2]),
    };
    const forms = { autodiff: autodiff(x, size), indices: indices(x, size), inPlace: inPlace(x) };
    const names = Object.keys(forms) as (keyof typeof forms)[];
    const sessions = await Promise.all(names.map((n) => InferenceSession.create(forms[n], opts)));
    const outs = await Promise.all(sessions.map((s) => s.run(feeds)));
    const a = outs[0][sessions[0].outputNames[1]].data as Float32Array, b = outs[1].dx.data as Float32Array, c = outs[2].dx.data as Float32Array;
    console.log(`${name}: the gradients agree: ${a.every((v, i) => v === b[i] && v === c[i])}`);
    const times: number[][] = names.map(() => []);
    for (let round = 0; round < 15; round++) {
      for (let i = 0; i < names.length; i++) {
        const t0 = process.hrtime.bigint();
        for (let r = 0; r < 30; r++) await sessions[i].run(feeds);
        times[i].push(Number(process.hrtime.bigint() - t0) / 30 / 1e3);
      }
    }
    const sorted = times.map((t) => [...t].sort((p, q) => p - q));
    names.forEach((n, i) => console.log(`  ${n}: median ${sorted[i][7].toFixed(1)} us, min ${sorted[i][0].toFixed(1)} us`));
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
