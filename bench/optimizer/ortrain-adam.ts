// ortrain's Adam through its public API ('@ortrain/optimizers', DESIGN.md): one session.run per step on the
// CPU provider, after which each Parameter's data holds the new values.
import { optionalImport } from '../optional-import';
import { Contestant, timeBlock } from '../rounds';
import { AdamProblem, LR } from './problem';

interface ParameterLike {
  grad: Float32Array | null | undefined;
}

type OptimizerClass = new (params: ParameterLike[], options: Record<string, unknown>) => { step(): Promise<unknown>; release?(): Promise<void> };

/** A contestant that holds onnxruntime sessions and buffers until released. */
export interface ReleasableContestant extends Contestant {
  release(): Promise<void>;
}

export interface OptimizersModule {
  Parameter: new (name: string, data: Float32Array, shape: number[]) => ParameterLike;
  Adam: OptimizerClass;
}

export function loadOptimizers(): Promise<OptimizersModule | string> {
  return optionalImport<OptimizersModule>('@ortrain/optimizers', ['Parameter', 'Adam']);
}

/** Any optimizer class of the module by name (SGD, AdamW, ...), through the same public API. */
export function ortrainOptimizer(mod: OptimizersModule, className: string, options: Record<string, unknown>, problem: AdamProblem): ReleasableContestant {
  const Cls = (mod as unknown as Record<string, OptimizerClass | undefined>)[className];
  if (typeof Cls !== 'function') throw new Error(`@ortrain/optimizers has no ${className}`);
  const params = problem.params.map((data, k) => {
    const p = new mod.Parameter(`p${k}`, data, [data.length]);
    p.grad = problem.grads[k];
    return p;
  });
  const opt = new Cls(params, options);
  return {
    name: 'ortrain (ORT CPU)',
    runBlock: (reps) => timeBlock(reps, async () => { await opt.step(); }),
    release: async () => { await opt.release?.(); },
  };
}

/** ortrain's Adam with lr LR: ortrainOptimizer's contestant for the class Adam. */
export function ortrainAdam(mod: OptimizersModule, problem: AdamProblem): ReleasableContestant {
  return ortrainOptimizer(mod, 'Adam', { lr: LR }, problem);
}
