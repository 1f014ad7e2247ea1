// The input gradient of a stride-1 Conv (lenet's second: dY [32, 16, 8, 8], W [16, 6, 5, 5], dX [32, 6, 12, 12])
// as ConvTranspose(dY, W) or as Conv(dY, W flipped and transposed) with pads k - 1 - p. Median microseconds
// per run on the CPU provider, one thread.
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { encodeModel, GraphBuilder } from '@ortrain/graph-builder';

const [N, M, C, k, o] = [32, 16, 6, 5, 8];

function model(form: string): Uint8Array {
  const g = new GraphBuilder();
  const dy = g.input('dy', 'float32', [N, M, o, o]);
  const w = g.input('w', 'float32', [M, C, k, k]);
  let dx;
  if (form === 'ConvTranspose') dx = g.op('ConvTranspose', [dy, w], { kernel_shape: [k, k] });
  else {
    const flipped = g.transpose(g.op('Slice', [w, g.ints([-1, -1]), g.ints([-(2 ** 62), -(2 ** 62)]), g.ints([2, 3]), g.ints([-1, -1])]), [1, 0, 2, 3]);
    dx = g.op('Conv', [dy, flipped], { kernel_shape: [k, k], pads: [k - 1, k - 1, k - 1, k - 1] });
  }
  g.output(dx, 'dx');
  return encodeModel(g.build());
}

async function main(): Promise<void> {
  const forms = ['ConvTranspose', 'Conv'];
  const feeds = {
    dy: new Tensor('float32', Float32Array.from({ length: N * M * o * o }, Math.random), [N, M, o, o]),
    w: new Tensor('float32', Float32Array.from({ length: M * C * k * k }, Math.random), [M, C, k, k]),
  };
  const sessions = await Promise.all(forms.map((f) => InferenceSession.create(model(f), { executionProviders: ['cpu'], intraOpNumThreads: 1 })));
  const outs = await Promise.all(sessions.map((s) => s.run(feeds)));
  const a = outs[0].dx.data as Float32Array, b = outs[1].dx.data as Float32Array;
  console.log(`max difference ${a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0)}`);
  const times: number[][] = forms.map(() => []);
  for (let round = 0; round < 11; round++) {
    for (let i = 0; i < forms.length; i++) {
      const t0 = process.hrtime.bigint();
      for (let r = 0; r < 30; r++) await sessions[i].run(feeds);
      times[i].push(Number(process.hrtime.bigint() - t0) / 30 / 1e3);
    }
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  forms.forEach((f, i) => console.log(`${f}: ${median(times[i]).toFixed(1)} us per run`));
}

main().catch((e) => { console.error(e); process.exit(1); });
