import type { Dim, GraphBuilder, Value } from '@ortrain/graph-builder';
import { checkKnownKeys, checkReduction, checkSameShape, checkWeights } from './checks';
import { reduceAll } from './reduce';
import type { BceWithLogitsOptions, LossBuilder, Reduction } from './types';

const KIND = 'bce_with_logits';
export const BCE_WITH_LOGITS_OPTIONS = ['posWeight', 'weight', 'reduction'] as const;

export interface BceWithLogitsConfig {
  posWeight?: number[];
  weight?: number[];
  reduction: Reduction;
}

export function bceWithLogitsConfig(options: BceWithLogitsOptions = {}): BceWithLogitsConfig {
  checkKnownKeys(KIND, options, BCE_WITH_LOGITS_OPTIONS);
  return {
    posWeight: options.posWeight === undefined ? undefined : checkWeights(KIND, 'posWeight', options.posWeight, true),
    weight: options.weight === undefined ? undefined : checkWeights(KIND, 'weight', options.weight, true),
    reduction: checkReduction(KIND, options.reduction),
  };
}

/**
 * torch's binary_cross_entropy_with_logits, in its numerically stable form: per element
 *   w * ((1 - y) x + (1 + (p - 1) y) softplus(-x)),
 * softplus(-x) = log(1 + exp(-x)): ONNX Runtime's Softplus for float32 (it does not overflow for large |x|), and
 * max(z, 0) + log(1 + exp(-|z|)) for other float types, which the CPU provider's Softplus lacks.
 * `posWeight` p and `weight` w are one number or one per entry of the last axis, as torch broadcasts them.
 * Ops: Neg, Softplus, Sub, Mul, Add, ReduceMean | ReduceSum (float64: Relu, Abs, Exp, Log in place of Softplus).
 */
export function bceWithLogitsLoss(options: BceWithLogitsOptions = {}): LossBuilder {
  const config = bceWithLogitsConfig(options);
  return (g, prediction, labels) => g.scope(KIND, () => {
    checkSameShape(KIND, prediction, labels);
    checkLastAxis(prediction.shape, 'posWeight', config.posWeight);
    checkLastAxis(prediction.shape, 'weight', config.weight);
    const dtype = prediction.dtype ?? 'float32';
    const vector = (values: number[]): Value => (values.length === 1 ? g.constant(values[0], dtype) : g.constant(values, dtype));
    const softplusNeg = softplus(g, g.neg(prediction));
    const linear = g.mul(g.sub(g.constant(1, dtype), labels), prediction);
    let logTerm = softplusNeg;
    if (config.posWeight) {
      // 1 + (p - 1) y
      const factor = g.add(g.mul(labels, vector(config.posWeight.map((p) => p - 1))), g.constant(1, dtype));
      logTerm = g.mul(factor, softplusNeg);
    }
    let perElement = g.add(linear, logTerm);
    if (config.weight) perElement = g.mul(perElement, vector(config.weight));
    return reduceAll(g, perElement, config.reduction);
  });
}

/** log(1 + exp(z)) without overflow. */
function softplus(g: GraphBuilder, z: Value): Value {
  if (z.dtype === 'float32' || z.dtype === undefined) return g.op('Softplus', [z]);
  return g.add(g.relu(z), g.log(g.add(g.exp(g.neg(g.abs(z))), 1)));
}

/** Checks per-last-axis weights against a prediction shape, where its last size is known. */
export function checkLastAxis(shape: readonly Dim[] | undefined, option: string, values: number[] | undefined): void {
  if (!values || values.length === 1 || !shape) return;
  const last = shape[shape.length - 1];
  if (shape.length === 0 || (typeof last === 'number' && last !== values.length)) {
    throw new RangeError(`loss '${KIND}': ${option} has ${values.length} entries, the last axis of the prediction ` +
      `of shape [${shape.join(', ')}] has ${shape.length === 0 ? 'no entries (a scalar)' : last}`);
  }
}
