import { Parameter, optimizerFromConfig, registeredOptimizers } from '@ortrain/optimizers';
import type { OptimizerFactory } from '@ortrain/trainer';
import { InputError } from './errors';

/** The registered optimizers' names in lower case (adam, adamw, lamb, ...), as --optimizer takes them. */
export function knownOptimizers(): string[] {
  return registeredOptimizers().map((n) => n.toLowerCase());
}

/**
 * The factory TrainingSession takes, for an optimizer named on the command line (resolved through the
 * registry of @ortrain/optimizers, case-insensitively) with its learning rate and `--opt` options. The name and
 * options are checked here, on a throwaway parameter, so a bad one is an input error before any training.
 */
export function optimizerFactory(name: string, lr: number, options: Record<string, unknown> = {}): OptimizerFactory {
  const known = registeredOptimizers();
  const found = known.find((n) => n.toLowerCase() === name.toLowerCase());
  if (!found) throw new InputError(`--optimizer: unknown optimizer '${name}' (known: ${knownOptimizers().sort().join(', ')})`);
  const config = { name: found, options: { ...options, lr } };
  try {
    optimizerFromConfig([new Parameter('check', new Float32Array(1), [1])], config);
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) throw new InputError(`--opt: ${e.message}`);
    throw e;
  }
  return (params) => optimizerFromConfig(params, config) as ReturnType<OptimizerFactory>;
}
