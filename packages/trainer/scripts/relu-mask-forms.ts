// Relu's backward in three forms: Where(Greater(y, 0), dY, 0), Mul(dY, Sign(y)) and Mul(dY, Cast(Greater(y, 0))),
// over lenet's first activation [32, 6, 24, 24] or mlp's [32, 128] (argument 'mlp'). Median microseconds
// per run on the CPU provider, one thread.
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { encodeModel, GraphBuilder } from '@ortrain/graph-builder';

const SHAPE = process.argv[2] === 'mlp' ? [32, 128] : [32, 6, 24, 24];

function model(form: string): Uint8Array {
  const g = new GraphBuilder();
  const y = g.input('y', 'float32', SHAPE);
  const dy = g.input('dy', 'float32', SHAPE);
  let out;
  if (form === 'where') out = g.where(g.greater(y, 0), dy, 0);
  else if (form === 'sign') out = g.mul(dy, g.op('Sign', [y]));
  else out = g.mul(dy, g.cast(g.greater(y, 0), 'float32'));
  g.output(out, 'dx');
  return encodeModel(g.build());
}

async function main(): Promise<void> {
  const size = SHAPE.reduce((a, b) => a * b, 1);
  const y = Float32Array.from({ length: size }, () => Math.max(0, Math.random() - 0.5));
  const dy = Float32Array.from({ length: size }, () => Math.random());
  const feeds = { y: new Tensor('float32', y, SHAPE), dy: new Tensor('float32', dy, SHAPE) };
  const forms = ['where', 'sign', 'cast'];
  const sessions = await Promise.all(forms.map((f) => InferenceSession.create(model(f), { executionProviders: ['cpu'], intraOpNumThreads: 1 })));
  const times: number[][] = forms.map(() => []);
  for (let round = 0; round < 15; round++) {
    for (let i = 0; i < forms.length; i++) {
      const t0 = process.hrtime.bigint();
      for (let r = 0; r < 200; r++) await sessions[i].run(feeds);
      times[i].push(Number(process.hrtime.bigint() - t0) / 200 / 1e3);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  forms.forEach((f, i) => console.log(`${f}: ${median(times[i]).toFixed(1)} us per run`));
}

main().catch((e) => { console.error(e); process.exit(1); });
