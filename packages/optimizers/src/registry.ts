import type { AnyOptimizer } from './any-optimizer';
import type { Params } from './optimizer';

/** An optimizer by name and options, as artifacts, checkpoints and the CLI store it; `base` for wrappers. */
export interface OptimizerConfig {
  name: string;
  options: Record<string, unknown>;
  base?: OptimizerConfig;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OptimizerFactory = (params: Params<any>, config: OptimizerConfig) => AnyOptimizer;

/** By lower-case name: the registered name and its factory. */
const registry = new Map<string, { name: string; factory: OptimizerFactory }>();

/** Registers an optimizer under `name` (looked up case-insensitively); a name already taken throws. */
export function registerOptimizer(name: string, factory: OptimizerFactory): void {
  if (typeof name !== 'string' || name === '') throw new TypeError(`registerOptimizer: name must be a non-empty string, got ${String(name)}`);
  if (typeof factory !== 'function') throw new TypeError(`registerOptimizer('${name}'): factory must be a function, got ${typeof factory}`);
  const taken = registry.get(name.toLowerCase());
  if (taken) throw new RangeError(`registerOptimizer: an optimizer named '${taken.name}' is already registered`);
  registry.set(name.toLowerCase(), { name, factory });
}

/** The names of every registered optimizer, in registration order. */
export function registeredOptimizers(): string[] {
  return [...registry.values()].map((e) => e.name);
}

/** Builds the optimizer `config` names over `params`; an unknown name throws, listing the known ones. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function optimizerFromConfig(params: Params<any>, config: OptimizerConfig): AnyOptimizer {
  checkConfig(config);
  const entry = registry.get(config.name.toLowerCase());
  if (!entry) throw new RangeError(`optimizer: unknown optimizer '${config.name}' (known: ${registeredOptimizers().join(', ')})`);
  return entry.factory(params, config);
}

/** The registered spelling of `name` ('lamb' -> 'LAMB'), or undefined. */
export function registeredName(name: string): string | undefined {
  return registry.get(name.toLowerCase())?.name;
}

function checkConfig(config: OptimizerConfig): void {
  if (!config || typeof config !== 'object' || typeof config.name !== 'string') {
    throw new TypeError(`optimizer config: expected { name, options }, got ${JSON.stringify(config)}`);
  }
  if (config.options !== undefined && (typeof config.options !== 'object' || config.options === null || Array.isArray(config.options))) {
    throw new TypeError(`optimizer config '${config.name}': options must be an object, got ${JSON.stringify(config.options)}`);
  }
}

/** A config's options for the class `name`, checking that the config names it. */
export function configOptions(config: OptimizerConfig, name: string): Record<string, unknown> {
  checkConfig(config);
  if (config.name.toLowerCase() !== name.toLowerCase()) throw new RangeError(`${name}.fromConfig: the config is of '${config.name}'`);
  return { ...(config.options ?? {}) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type RegisteredClass = new (params: any, options: any) => AnyOptimizer;
/** Names that registerClass gave classes (a minifier may rename the classes themselves). */
const classNames = new WeakMap<RegisteredClass, string>();

/** Registers an optimizer class under `name`: built from a config by `new cls(params, config.options)`. */
export function registerClass(name: string, cls: RegisteredClass): void {
  registerOptimizer(name, (params, config) => new cls(params, configOptions(config, name)));
  classNames.set(cls, name);
}

/** A config's options for a class that registerClass registered (see Optimizer.fromConfig). */
export function classConfigOptions(cls: RegisteredClass, config: OptimizerConfig): Record<string, unknown> {
  const name = classNames.get(cls);
  if (name === undefined) throw new TypeError(`${cls.name || 'this class'}.fromConfig: the class is not registered (registerOptimizer builds it from a config)`);
  return configOptions(config, name);
}
