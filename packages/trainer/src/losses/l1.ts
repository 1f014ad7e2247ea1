import { checkKnownKeys, checkReduction, checkSameShape } from './checks';
import { REGRESSION_OPTIONS } from './mse';
import { reduceAll } from './reduce';
import type { LossBuilder, RegressionOptions } from './types';

/** torch's l1_loss: mean (or sum) of |prediction - labels|. Ops: Sub, Abs, ReduceMean | ReduceSum. */
export function l1Loss(options: RegressionOptions = {}): LossBuilder {
  checkKnownKeys('l1', options, REGRESSION_OPTIONS);
  const reduction = checkReduction('l1', options.reduction);
  return (g, prediction, labels) => g.scope('l1', () => {
    checkSameShape('l1', prediction, labels);
    return reduceAll(g, g.abs(g.sub(prediction, labels)), reduction);
  });
}
