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
  let inRun = 0n;
  const orig = sess.run;
  sess.run = async (f: any) => { const t = process.hrtime.bigint(); const r = await orig(f); inRun += process.hrtime.bigint() - t; return r; };
  for (let k = 0; k < 3; k++) {
    inRun = 0n;
    const reps = 3000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) await opt.step();
    const tot = Number(process.hrtime.bigint() - t0) / reps / 1000;
    console.log('step', tot.toFixed(1), 'us; in session.run', (Number(inRun) / reps / 1000).toFixed(1), 'us');
  }
}
main();
