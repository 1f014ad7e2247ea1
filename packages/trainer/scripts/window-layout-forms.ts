// Moving 2x2 pooling windows between [N, C, H, W] and a window-offset axis (lenet's first pool: 32 x 6 x 24 x 24),
// each way in several forms. Median microseconds per run on the CPU provider.
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { encodeModel, GraphBuilder } from '@ortrain/graph-builder';

const [N, C, H, W] = [32, 6, 24, 24];
const b = 2, K = 4, h = H / b, w = W / b;
const oneHot = Float32Array.from({ length: K * K }, (_, i) => (i % (K + 1) === 0 ? 1 : 0));

const forms: Record<string, () => Uint8Array> = {
  'gather: SpaceToDepth': () => one([N, C, H, W], (g, x) => g.op('SpaceToDepth', [x], { blocksize: b })),
  'gather: Conv one-hot per plane': () => one([N, C, H, W], (g, x) => g.op('Conv', [g.reshape(x, [-1, 1, H, W]), g.constant(oneHot, 'float32', [K, 1, b, b])], { strides: [b, b] })),
  'gather: Transpose 6-D': () => one([N, C, H, W], (g, x) => g.transpose(g.reshape(x, [N, C, h, b, w, b]), [3, 5, 0, 1, 2, 4])),
  'back: DepthToSpace': () => one([N, K * C, h, w], (g, x) => g.op('DepthToSpace', [x], { blocksize: b, mode: 'DCR' })),
  'back: ConvTranspose one-hot per plane': () => one([N * C, K, h, w], (g, x) => g.op('ConvTranspose', [x, g.constant(oneHot, 'float32', [K, 1, b, b])], { strides: [b, b] })),
  'back: Transpose 6-D': () => one([b, b, N, C, h, w], (g, x) => g.transpose(x, [2, 3, 4, 0, 5, 1])),
  'back: Resize nearest (upsampling only)': () => one([N, C, h, w], (g, x) => g.op('Resize', [x, g.constant(new Float32Array(0), 'float32', [0]), g.constant([1, 1, b, b], 'float32', [4])], { mode: 'nearest' })),
  'back: Expand (upsampling only)': () => one([N, C, h, w], (g, x) => g.reshape(g.op('Expand', [g.reshape(x, [N, C, h, 1, w, 1]), g.ints([1, 1, 1, b, 1, b])]), [N, C, H, W])),
};

function one(shape: number[], f: (g: GraphBuilder, x: ReturnType<GraphBuilder['input']>) => ReturnType<GraphBuilder['input']>): Uint8Array {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', shape);
  g.output(f(g, x), 'y');
  return encodeModel(g.build());
}

async function main(): Promise<void> {
  const names = Object.keys(forms);
  const sessions = await Promise.all(names.map((n) => InferenceSession.create(forms[n](), { executionProviders: ['cpu'] })));
  const feeds = sessions.map((s, i) => {
    const shape = names[i] === 'back: Transpose 6-D' ? [b, b, N, C, h, w]
      : names[i].startsWith('gather') ? [N, C, H, W] : names[i].includes('DepthToSpace') ? [N, K * C, h, w]
        : names[i].includes('ConvTranspose') ? [N * C, K, h, w] : [N, C, h, w];
    return { x: new Tensor('float32', Float32Array.from({ length: shape.reduce((a, c) => a * c, 1) }, Math.random), shape) };
  });
  const times: number[][] = names.map(() => []);
  for (let round = 0; round < 11; round++) {
    for (let i = 0; i < names.length; i++) {
      const t0 = process.hrtime.bigint();
      for (let r = 0; r < 30; r++) await sessions[i].run(feeds[i]);
      times[i].push(Number(process.hrtime.bigint() - t0) / 30 / 1e3);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, c) => a - c)[Math.floor(xs.length / 2)];
  names.forEach((n, i) => console.log(`${n}: ${median(times[i]).toFixed(1)} us per run`));
}

main().catch((e) => { console.error(e); process.exit(1); });
