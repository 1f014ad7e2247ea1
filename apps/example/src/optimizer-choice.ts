import { Parameter, optimizerFromConfig, registeredOptimizers } from '@ortrain/optimizers';
import type { OptimizerFactory } from '@ortrain/trainer';
import { Lookahead, SAM, Scout, type Optimizable } from '@ortrain/wrappers';
import type { FinetuneOptions } from './args';
import { InputError } from './errors';

/** The registered optimizers' names in lower case (adam, adamw, lamb, ...), as --optimizer takes them. */
export function knownOptimizers(): string[] {
  return registeredOptimizers().map((n) => n.toLowerCase());
}

/**
 * The factory TrainingSession takes, for an optimizer named on the command line (resolved through the
 * registry of @ortrain/optimizers, case-insensitively) with its learning rate and `--opt` options. The name and
 * options are checked here, on a throwaway parameter, so a bad one is an input error before any training.
 * The wrappers --sam/--asam and --lookahead/--scout go around it (slow weights outermost).
 */
export function optimizerFactory(name: string, lr: number, options: Record<string, unknown> = {}, wrappers: Pick<FinetuneOptions, 'sam' | 'slow'> = {}): OptimizerFactory {
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
  const { sam, slow } = wrappers;
  // Wrappers go around the registered optimizer: SAM next to it, slow weights (Lookahead, Scout) outermost.
  return (params) => {
    const base = optimizerFromConfig(params, config);
    const inner = sam ? new SAM(params, base as Optimizable, { rho: sam.rho, adaptive: sam.adaptive }) : base;
    if (!slow) return inner as ReturnType<OptimizerFactory>;
    const Slow = slow.kind === 'scout' ? Scout : Lookahead;
    return new Slow(inner as Optimizable, { syncRate: slow.syncRate, syncPeriod: slow.syncPeriod });
  };
}
