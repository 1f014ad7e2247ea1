// Adam as a plain TypeScript loop over Float32Arrays: the baseline any JS library has to beat. Same update
// as torch.optim.Adam with its defaults (no weight decay, no amsgrad).
import { Contestant, timeBlock } from '../rounds';
import { AdamProblem, BETA1, BETA2, EPS, LR } from './problem';

export function plainAdam(problem: AdamProblem): Contestant {
  // Locals, not the imported names: compiled to CommonJS those are getter calls, which the hot loop would
  // pay for on every element.
  const lr = LR, beta1 = BETA1, beta2 = BETA2, eps = EPS;
  const m = problem.sizes.map((n) => new Float32Array(n));
  const v = problem.sizes.map((n) => new Float32Array(n));
  let t = 0;
  const step = (): void => {
    t++;
    const stepSize = lr / (1 - beta1 ** t);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
    for (let k = 0; k < problem.params.length; k++) {
      const p = problem.params[k], g = problem.grads[k], mk = m[k], vk = v[k];
      for (let i = 0; i < p.length; i++) {
        const gi = g[i];
        const mi = beta1 * mk[i] + (1 - beta1) * gi;
        const vi = beta2 * vk[i] + (1 - beta2) * gi * gi;
        mk[i] = mi;
        vk[i] = vi;
        p[i] -= (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
      }
    }
  };
  return { name: 'TypeScript loop', runBlock: (reps) => timeBlock(reps, step) };
}
