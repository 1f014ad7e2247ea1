import { checkKnownKeys, checkReduction, checkSameShape } from './checks';
import { reduceAll } from './reduce';
import type { LossBuilder, RegressionOptions } from './types';

export const REGRESSION_OPTIONS = ['reduction'] as const;

/** torch's mse_loss: mean (or sum) of (prediction - labels)^2. Ops: Sub, Mul, ReduceMean | ReduceSum. */
export function mseLoss(options: RegressionOptions = {}): LossBuilder {
  checkKnownKeys('mse', options, REGRESSION_OPTIONS);
  const reduction = checkReduction('mse', options.reduction);
  return (g, prediction, labels) => g.scope('mse', () => {
    checkSameShape('mse', prediction, labels);
    const diff = g.sub(prediction, labels);
    // diff * diff: one pass, and a simpler gradient than Pow.
    return reduceAll(g, g.mul(diff, diff), reduction);
  });
}
