import * as optimizers from '@ortrain/optimizers';
import type { Parameter } from '@ortrain/optimizers';
import type { OptimizerFactory } from '@ortrain/trainer';
import { Lookahead, SAM, Scout } from '@ortrain/wrappers';
import type { FinetuneOptions } from './args';
import { InputError } from './errors';

type OptimizerClass = new (params: Parameter[], options: { lr: number }) => ReturnType<OptimizerFactory>;

/** Every optimizer class that @ortrain/optimizers exports, by its lower-case name (adam, adamw, sgd, ...). */
export function knownOptimizers(): Map<string, OptimizerClass> {
  const found = new Map<string, OptimizerClass>();
  for (const [name, value] of Object.entries(optimizers)) {
    if (typeof value === 'function' && value.prototype instanceof optimizers.Optimizer) {
      found.set(name.toLowerCase(), value as unknown as OptimizerClass);
    }
  }
  return found;
}

/**
 * The factory TrainingSession takes, for an optimizer named on the command line with its learning rate, and
 * the wrappers --sam/--asam and --lookahead/--scout around it (slow weights outermost).
 */
export function optimizerFactory(name: string, lr: number, wrappers: Pick<FinetuneOptions, 'sam' | 'slow'> = {}): OptimizerFactory {
  const known = knownOptimizers();
  const Class = known.get(name.toLowerCase());
  if (!Class) throw new InputError(`--optimizer: unknown optimizer '${name}' (known: ${[...known.keys()].sort().join(', ')})`);
  const { sam, slow } = wrappers;
  return (params) => {
    const inner = sam ? new SAM(params, Class, { rho: sam.rho, adaptive: sam.adaptive, lr }) : new Class(params, { lr });
    if (!slow) return inner;
    const Slow = slow.kind === 'scout' ? Scout : Lookahead;
    return new Slow(inner, { syncRate: slow.syncRate, syncPeriod: slow.syncPeriod });
  };
}
