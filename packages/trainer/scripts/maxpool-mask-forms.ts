// The first-maximum mask of MaxPool's backward over SpaceToDepth windows [N, K, C, y0, y1] (lenet's first
// pool: 32 x 4 x 6 x 12 x 12), times dY, in two forms: ArgMax over the window axis then Equal with the
// offsets, or a score (K - offset where x equals the window's max) whose ReduceMax marks the first maximum.
// Median microseconds per run on the CPU provider.
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { encodeModel, GraphBuilder } from '@ortrain/graph-builder';

const [N, K, C, H, W] = [32, 4, 6, 12, 12];

function model(form: string): Uint8Array {
  const g = new GraphBuilder();
  const w = g.input('w', 'float32', [N, K, C, H, W]);
  const y = g.input('y', 'float32', [N, C, H, W]);
  const dy = g.input('dy', 'float32', [N, C, H, W]);
  let mask;
  if (form === 'argmax') {
    const first = g.op('ArgMax', [w], { axis: 1, keepdims: 1 }, { dtypes: ['int64'] });
    mask = g.cast(g.equal(first, g.constant([...Array(K).keys()], 'int64', [K, 1, 1, 1])), 'float32');
  } else {
    const hit = g.cast(g.equal(w, g.unsqueeze(y, [1])), 'float32');
    const score = g.mul(hit, g.constant([...Array(K).keys()].map((k) => K - k), 'float32', [K, 1, 1, 1]));
    const best = g.op('ReduceMax', [score], { axes: [1], keepdims: 1 });
    mask = g.cast(g.equal(score, best), 'float32');
  }
  g.output(g.mul(mask, g.unsqueeze(dy, [1])), 'out');
  return encodeModel(g.build());
}

async function main(): Promise<void> {
  const wv = Float32Array.from({ length: N * K * C * H * W }, () => Math.floor(Math.random() * 4));
  const yv = new Float32Array(N * C * H * W);
  for (let n = 0; n < N; n++) for (let i = 0; i < C * H * W; i++) {
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, wv[(n * K + k) * C * H * W + i]);
    yv[n * C * H * W + i] = m;
  }
  const feeds = {
    w: new Tensor('float32', wv, [N, K, C, H, W]), y: new Tensor('float32', yv, [N, C, H, W]),
    dy: new Tensor('float32', Float32Array.from(yv, () => Math.random()), [N, C, H, W]),
  };
  const forms = ['argmax', 'score'];
  const sessions = await Promise.all(forms.map((f) => InferenceSession.create(model(f), { executionProviders: ['cpu'] })));
  const outs = await Promise.all(sessions.map((s) => s.run(feeds)));
  const same = (outs[0].out.data as Float32Array).every((v, i) => v === (outs[1].out.data as Float32Array)[i]);
  console.log(`the two forms agree: ${same}`);
  const times: number[][] = forms.map(() => []);
  for (let round = 0; round < 15; round++) {
    for (let i = 0; i < forms.length; i++) {
      const t0 = process.hrtime.bigint();
      for (let r = 0; r < 30; r++) await sessions[i].run(feeds);
      times[i].push(Number(process.hrtime.bigint() - t0) / 30 / 1e3);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  forms.forEach((f, i) => console.log(`${f}: ${median(times[i]).toFixed(1)} us per run`));
}

main().catch((e) => { console.error(e); process.exit(1); });
