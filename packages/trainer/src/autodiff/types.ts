import type { DType, Dim, GraphBuilder, TensorProto, Value } from '@ortrain/graph-builder';


// One LossBuilder type for the package: the losses define it as
//   (g: GraphBuilder, prediction: Value, labels: Value) => Value  (appends a scalar loss to the graph)
// and the autodiff re-exports the same declaration, so that src/index.ts exports it once.
import type { LossBuilder } from '../losses/types';
export type { LossBuilder };

export interface GradientGraphOptions {
  /**
   * Trainable initializers: names, a RegExp, or a predicate; default every float initializer that reaches
   * the loss through differentiable inputs (BatchNormalization's running statistics, for one, do not) and
   * holds only finite values (an additive -inf attention mask is a constant). Named initializers must
   * exist, be float and reach the loss (else a RangeError: a zero gradient is never given silently); a
   * RegExp or predicate is narrowed the same way as the default, the rest stay frozen.
   */
  trainable?: string[] | RegExp | ((name: string, tensor: TensorProto) => boolean);
  /** The loss appended to the model output `output` (default the model's first output). */
  loss?: { build: LossBuilder; labels: { name: string; dtype: DType; shape: Dim[] }; output?: string };
  /** Without `loss`: the name of a scalar model output to differentiate. */
  lossOutput?: string;
  /** ai.onnx opset of the training graph (default max(model opset, 17)). */
  opset?: number;
}

export interface GradientParam {
  name: string;
  value: Value;
  dtype: DType;
  dims: number[];
  initial: Float32Array;
}

export interface GradientGraph {
  /** Forward + loss + backward, no outputs marked: the caller adds the rest. */
  builder: GraphBuilder;
  /** The scalar loss. */
  loss: Value;
  /** The forward model's outputs by name. */
  outputs: Record<string, Value>;
  /** Trainable initializers, now graph inputs: in the order of a `trainable` list, else the model's initializer order. */
  params: GradientParam[];
  /** Gradient of the loss with respect to each trainable param (one distinct value per param). */
  grads: Map<string, Value>;
  /** Float initializers left frozen (still initializers of the graph). */
  frozen: string[];
}
