import * as optimizers from '@ortrain/optimizers';
import type { Parameter } from '@ortrain/optimizers';
import type { OptimizerFactory } from '@ortrain/trainer';
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

/** The factory TrainingSession takes, for an optimizer named on the command line with its learning rate. */
export function optimizerFactory(name: string, lr: number): OptimizerFactory {
  const known = knownOptimizers();
  const Class = known.get(name.toLowerCase());
  if (!Class) throw new InputError(`--optimizer: unknown optimizer '${name}' (known: ${[...known.keys()].sort().join(', ')})`);
  return (params) => new Class(params, { lr });
}
