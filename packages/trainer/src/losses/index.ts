// Losses appended to a model's output as ONNX subgraphs, with torch's values and options.
export type {
  LossBuilder, LossKind, LossSpec, GraphLossSpec, LossSpecObject, LabelSpec, PredictionInfo, Reduction,
  CrossEntropyOptions, RegressionOptions, BceWithLogitsOptions,
} from './types';
export { crossEntropyLoss } from './cross-entropy';
export { mseLoss } from './mse';
export { l1Loss } from './l1';
export { bceWithLogitsLoss } from './bce-with-logits';
export { resolveLoss, LOSS_KINDS } from './resolve';
export type { ResolvedLoss } from './resolve';
