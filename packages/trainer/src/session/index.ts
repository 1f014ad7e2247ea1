export { TrainingSession } from './training-session';
export type { OptimizerFactory, RunOptions, StatefulSampler, StepResult, TrainStepOptions, TrainingSessionOptions } from './training-session';
export type { Batch } from './batch';
export type { SessionModels, Trainable, TrainableParam } from './training-graphs';
export { ARTIFACT_FILES } from './artifact-layout';
export { DivergenceWatch } from './divergence';
export type { Divergence, DivergenceOptions } from './divergence';
export type { SessionMode } from './mode-models';
