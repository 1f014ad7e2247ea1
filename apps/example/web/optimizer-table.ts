// The optimizers the page offers: every optimizer class of @ortrain/optimizers, one line each, with the
// options the form shows and their starting values (the rest keep the class's torch defaults).
// test/browser/web-optimizers.test.ts fails when @ortrain/optimizers exports a class this table lacks.
import { Adagrad, Adam, Adamax, AdamW, NAdam, Optimizer, RAdam, RMSprop, SGD } from '@ortrain/optimizers';
import type { Parameter } from '@ortrain/optimizers';

/** An optimizer class with the numeric options the page lets the user set. */
export interface OptimizerChoice {
  /** The class's exported name, as the page lists it. */
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  Class: new (params: Parameter[], options: any) => Optimizer<any>;
  /** Option name to its value on the form before the user changes it. */
  options: Record<string, number>;
}

export const OPTIMIZERS: readonly OptimizerChoice[] = [
  { name: 'Adam', Class: Adam, options: { lr: 0.002, weightDecay: 0, eps: 1e-8 } },
  { name: 'AdamW', Class: AdamW, options: { lr: 0.002, weightDecay: 0.01, eps: 1e-8 } },
  { name: 'Adamax', Class: Adamax, options: { lr: 0.002, weightDecay: 0, eps: 1e-8 } },
  { name: 'NAdam', Class: NAdam, options: { lr: 0.002, weightDecay: 0, momentumDecay: 0.004 } },
  { name: 'RAdam', Class: RAdam, options: { lr: 0.002, weightDecay: 0, eps: 1e-8 } },
  { name: 'Adagrad', Class: Adagrad, options: { lr: 0.01, lrDecay: 0, weightDecay: 0 } },
  { name: 'RMSprop', Class: RMSprop, options: { lr: 0.001, alpha: 0.99, momentum: 0, weightDecay: 0 } },
  { name: 'SGD', Class: SGD, options: { lr: 0.05, momentum: 0.9, weightDecay: 0 } },
];

/** The table's entry for a name, or a RangeError listing the names it has. */
export function optimizerChoice(name: string): OptimizerChoice {
  const found = OPTIMIZERS.find((o) => o.name === name);
  if (!found) throw new RangeError(`optimizer: unknown optimizer '${name}' (known: ${OPTIMIZERS.map((o) => o.name).join(', ')})`);
  return found;
}
