import type { DType, Dim, GraphBuilder, Value } from '@ortrain/graph-builder';

/**
 * Appends a loss to a graph: from the model's prediction and the labels, a scalar loss value.
 * The same shape as the autodiff's `LossBuilder`.
 */
export type LossBuilder = (g: GraphBuilder, prediction: Value, labels: Value) => Value;

/** How per-element losses become the scalar: their (weighted) mean, as torch's default, or their sum. */
export type Reduction = 'mean' | 'sum';

export type LossKind = 'cross_entropy' | 'mse' | 'l1' | 'bce_with_logits';

export interface CrossEntropyOptions {
  /** Rescaling weight per class (torch's `weight`), length C, each finite and >= 0. */
  weight?: ArrayLike<number>;
  /** Labels equal to this contribute nothing and do not count in the mean (torch's default -100). */
  ignoreIndex?: number;
  /** Mix of the target with the uniform distribution over classes, in [0, 1] (torch's `label_smoothing`). */
  labelSmoothing?: number;
  reduction?: Reduction;
  /**
   * The axis of the prediction that holds the classes: 1 as torch ([N, C] or [N, C, d1, ...]; 0 for an
   * unbatched [C]), or -1 for the [N, T, C] logits that language models emit. Negative counts from the end.
   */
  classAxis?: number;
}

export interface RegressionOptions {
  reduction?: Reduction;
}

export interface BceWithLogitsOptions {
  /** Weight of the positive term, one number or one per entry of the last axis (torch's `pos_weight`); >= 0. */
  posWeight?: number | ArrayLike<number>;
  /** Rescaling weight of each element, one number or one per entry of the last axis (torch's `weight`); >= 0. */
  weight?: number | ArrayLike<number>;
  reduction?: Reduction;
}

/** Names the model output the loss applies to (default: the first output). */
interface OutputChoice {
  output?: string;
}

export type LossSpecObject =
  | ({ kind: 'cross_entropy' } & CrossEntropyOptions & OutputChoice)
  | ({ kind: 'mse' } & RegressionOptions & OutputChoice)
  | ({ kind: 'l1' } & RegressionOptions & OutputChoice)
  | ({ kind: 'bce_with_logits' } & BceWithLogitsOptions & OutputChoice);

/**
 * A custom loss: an ONNX model whose two inputs are the prediction and the labels (in that order) and whose
 * one output is the scalar loss.
 */
export interface GraphLossSpec {
  kind?: 'graph';
  graph: Uint8Array;
  output?: string;
}

/** A loss by name with torch's defaults, an object with its kind and options, or a loss graph. */
export type LossSpec = LossKind | LossSpecObject | GraphLossSpec;

/** What the labels fed to a loss must be: their element type and, when the prediction's is known, shape. */
export interface LabelSpec {
  dtype: DType;
  shape?: Dim[];
}

/** What is known of the prediction when a loss is resolved (a graph `Value` fits). */
export interface PredictionInfo {
  dtype?: DType;
  shape?: readonly Dim[];
}
