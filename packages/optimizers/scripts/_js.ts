import { Runtime } from '@ortrain/runtime';
import { Adam, Parameter } from '../src';
async function main() {
  const runtime = await Runtime.create({ executionProviders: ['cpu'] });
  const params = Array.from({ length: 100 }, (_, i) => new Parameter(`p${i}`, new Float32Array(1).fill(0.5), [1]));
  const opt = new Adam(params, { lr: 1e-3, runtime });
  for (const p of params) p.grad = new Float32Array(1).fill(0.01);
  await opt.step();
  const store = (opt as any).stores[0];
  const sess = await store.sessions.values().next().value;
  const out = await sess.run({ param: new runtime.Tensor('float32', new Float32Array(100), [100]), grad: new runtime.Tensor('float32', new Float32Array(100), [100]),
    'state.expAvg': new runtime.Tensor('float32', new Float32Array(100), [100]), 'state.expAvgSq': new runtime.Tensor('float32', new Float32Array(100), [100]),
    ...Object.fromEntries(['beta1','c1','beta2','c2','eps','step'].map((n) => ['s0.' + n, new runtime.Tensor('float32', Float32Array.of(0.5), [])])) });
  sess.run = async () => ({ ...out });
  for (let k = 0; k < 3; k++) {
    const reps = 20000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) await opt.step();
    console.log('JS overhead per step (100 tensors):', (Number(process.hrtime.bigint() - t0) / reps / 1000).toFixed(2), 'us');
  }
}
main();
