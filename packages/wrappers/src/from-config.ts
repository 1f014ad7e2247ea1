import * as optimizers from '@ortrain/optimizers';
import { Optimizer, Parameter } from '@ortrain/optimizers';
import type { OptimizerConfig, ResolveConfig } from './config';
import { Lookahead, Scout } from './slow-weights';
import { SAM } from './sam';
import type { Optimizable } from './wrapper';

const wrappers: Record<string, { fromConfig(params: Parameter[], config: OptimizerConfig, resolve: ResolveConfig): Optimizable }> = { SAM, Lookahead, Scout };

/**
 * The one place that turns a config into an optimizer: a wrapper by its name (its base resolved by this
 * same function), else an optimizer class of @ortrain/optimizers by its algorithm's name. `baseFactory`,
 * when given, builds the innermost optimizer instead (a checkpoint rebuilds it with its saved groups).
 */
export function optimizerFromConfig(params: Parameter[], config: OptimizerConfig, baseFactory?: ResolveConfig): Optimizable {
  if (!config || typeof config !== 'object' || typeof config.name !== 'string') {
    throw new TypeError(`optimizer config: expected { name, options, base? }, got ${JSON.stringify(config)}`);
  }
  const wrapper = wrappers[config.name];
  if (wrapper) return wrapper.fromConfig(params, config, (ps, c) => optimizerFromConfig(ps, c, baseFactory));
  if (baseFactory) return baseFactory(params, config);
  const found = Object.entries(optimizers).find(([n, v]) => n === config.name && typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof Optimizer);
  if (!found) throw new RangeError(`optimizer config: unknown optimizer '${config.name}' (wrappers: ${Object.keys(wrappers).join(', ')})`);
  const Cls = found[1] as unknown as new (params: Parameter[], options: object) => Optimizable;
  return new Cls(params, config.options ?? {});
}

/** Whether a config names a wrapper. */
export function isWrapperConfig(config: OptimizerConfig | undefined): boolean {
  return !!config && config.name in wrappers;
}
