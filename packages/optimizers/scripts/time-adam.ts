// Quick timing of Adam steps (not a test, not the benchmark): median ns per parameter, and the fixed cost
// of a step with 100 tiny tensors. Usage: npx tsx packages/optimizers/scripts/time-adam.ts [reps]
import { Runtime } from '@ortrain/runtime';
import { Adam, Parameter } from '../src';

const reps = Number(process.argv[2] ?? 15);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeOrt(runtime: Runtime, n: number, tensors: number, flatGrads: boolean): Promise<number> {
  const per = Math.floor(n / tensors);
  const params = Array.from({ length: tensors }, (_, i) => new Parameter(`p${i}`, new Float32Array(per).fill(0.5), [per]));
  const opt = new Adam(params, { lr: 1e-3, runtime });
  if (flatGrads) opt.useFlatGrads();
  for (const p of params) {
    if (!p.grad) p.grad = new Float32Array(per);
    p.grad.fill(0.01);
  }
  // Small steps are timed in blocks (a single one is near the timer's noise), after a warm-up for the JIT.
  const block = n <= 1e4 ? 200 : n <= 1e5 ? 20 : 1;
  for (let i = 0; i < 3 * block; i++) await opt.step();
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < block; i++) await opt.step();
    times.push(Number(process.hrtime.bigint() - t0) / block);
  }
  await opt.release();
  return median(times);
}

function timeLoop(n: number): number {
  const p = new Float32Array(n).fill(0.5), g = new Float32Array(n).fill(0.01), m = new Float32Array(n), v = new Float32Array(n);
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = r + 1, b1 = 0.9, b2 = 0.999, lr = 1e-3, eps = 1e-8;
    const bc1 = 1 - b1 ** t, bc2 = Math.sqrt(1 - b2 ** t), step = lr / bc1;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      p[i] -= (step * m[i]) / (Math.sqrt(v[i]) / bc2 + eps);
    }
    times.push(Number(process.hrtime.bigint() - t0));
  }
  return median(times);
}

async function main(): Promise<void> {
  const runtime = await Runtime.create({ executionProviders: ['cpu'] });
  console.log('N        | loop ns/p | 1 tensor ns/p | 100 tensors ns/p | 100 tensors, flat grads ns/p');
  for (const n of [1e4, 1e5, 1e6, 1e7]) {
    const loop = timeLoop(n) / n;
    const one = (await timeOrt(runtime, n, 1, false)) / n;
    const hundred = (await timeOrt(runtime, n, 100, false)) / n;
    const flat = (await timeOrt(runtime, n, 100, true)) / n;
    console.log(`${n.toExponential(0).padEnd(8)} | ${loop.toFixed(2).padStart(9)} | ${one.toFixed(2).padStart(13)} | ${hundred.toFixed(2).padStart(16)} | ${flat.toFixed(2).padStart(10)}`);
  }
  const fixed = await timeOrt(runtime, 100, 100, false);
  console.log(`fixed cost, 100 tensors of 1 element: ${(fixed / 1000).toFixed(1)} us per step`);
}

void main();
