// ortrain's Adam through its public API ('@ortrain/optimizers', DESIGN.md): one session.run per step on the
// CPU provider, after which each Parameter's data holds the new values.
import { optionalImport } from '../optional-import';
import { Contestant, timeBlock } from '../rounds';
import { AdamProblem, LR } from './problem';

interface ParameterLike {
  grad: Float32Array | null | undefined;
}

export interface OptimizersModule {
  Parameter: new (name: string, data: Float32Array, shape: number[]) => ParameterLike;
  Adam: new (params: ParameterLike[], options: { lr: number }) => { step(): Promise<unknown> };
}

export function loadOptimizers(): Promise<OptimizersModule | string> {
  return optionalImport<OptimizersModule>('@ortrain/optimizers', ['Parameter', 'Adam']);
}

export function ortrainAdam(mod: OptimizersModule, problem: AdamProblem): Contestant {
  const params = problem.params.map((data, k) => {
    const p = new mod.Parameter(`p${k}`, data, [data.length]);
    p.grad = problem.grads[k];
    return p;
  });
  const opt = new mod.Adam(params, { lr: LR });
  return { name: 'ortrain (ORT CPU)', runBlock: (reps) => timeBlock(reps, async () => { await opt.step(); }) };
}
