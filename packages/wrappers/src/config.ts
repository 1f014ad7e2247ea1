import type { Optimizer, Parameter } from '@ortrain/optimizers';
import type { Optimizable } from './wrapper';

/** An optimizer's configuration: its name, its options, and for a wrapper its base's configuration. */
export interface OptimizerConfig {
  name: string;
  options: Record<string, unknown>;
  base?: OptimizerConfig;
}

/** Builds the optimizer a config names over `params` (a wrapper's base through the same function). */
export type ResolveConfig = (params: Parameter[], config: OptimizerConfig) => Optimizable;

/**
 * The config of an optimizer or a wrapper: its own `getConfig()` when it has one, else the algorithm's
 * name and its default options (each group's own options are in its state dict).
 */
export function configOf(o: Optimizable): OptimizerConfig {
  const own = (o as { getConfig?: () => OptimizerConfig }).getConfig;
  if (typeof own === 'function') return own.call(o);
  const opt = o as Optimizer<object>;
  return { name: opt.rule.algorithm, options: JSON.parse(JSON.stringify(opt.defaults)) as Record<string, unknown> };
}

