// @ortrain/wrappers: SAM/ASAM, Lookahead and Scout over any optimizer, standalone and inside the trainer's step.
export { Wrapper, stepFusedOf } from './wrapper';
export type { AlgorithmOptimizer, Optimizable, Closure, RunFused, WrapperStateDict } from './wrapper';
export { SAM } from './sam';
export type { SAMOptions, OptimizerClass } from './sam';
export { SlowWeights, Lookahead, Scout } from './slow-weights';
export type { SlowWeightsOptions, FusedSlowPart } from './slow-weights';
export { configOf } from './config';
export type { OptimizerConfig, ResolveConfig } from './config';
export { optimizerFromConfig, isWrapperConfig } from './from-config';
export { samPerturbation } from './sam-graph';
