import type { DType, Dim, GraphBuilder, TensorProto, Value } from '@ortrain/graph-builder';
import type { TensorSource, TrainableChoice } from './trainable';


// One LossBuilder type for the package: the losses define it as
//   (g: GraphBuilder, prediction: Value, labels: Value) => Value  (appends a scalar loss to the graph)
// and the autodiff re-exports the same declaration, so that src/index.ts exports it once.
import type { LossBuilder } from '../losses/types';
export type { LossBuilder };

export interface GradientGraphOptions {
  /**
   * Trainable tensors (initializers, and float Constant nodes, which are lifted to parameters): names, a
   * RegExp, or a predicate. Default: the float tensors of at least one dimension, holding only finite values,
   * that reach the loss through differentiable inputs and sit in a weight or bias slot of a parameterised op
   * (see trainable.ts); exporter constants (a Pow exponent, a Clip bound, epsilons, scalars) stay frozen.
   * Named tensors must exist, be float and reach the loss (else a RangeError: a zero gradient is never given
   * silently); a RegExp or predicate picks among the float tensors that reach the loss and are finite;
   * `{ except: names }` is the default set without those.
   */
  trainable?: string[] | RegExp | ((name: string, tensor: TensorProto) => boolean) | { except: string[] };
  /** The loss appended to the value `output` (any value of the graph; default the model's first output). */
  loss?: { build: LossBuilder; labels: { name: string; dtype: DType; shape?: Dim[] }; output?: string };
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
  /** An initializer of the model, or a float Constant node lifted to be trainable. */
  source: TensorSource;
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
  /** For every initializer and float Constant: whether it trains, and why (see describeTrainable). */
  choices: TrainableChoice[];
  /** The value the loss is computed from (`loss.output`, any value of the graph). */
  target: Value;
}
