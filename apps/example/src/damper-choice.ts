import * as damping from '@ortrain/damping';
import type { BaseDamper, DamperMeta } from '@ortrain/damping';
import { type Dataset, datasetGradients, datasetLoss, subset, type TrainingSession } from '@ortrain/trainer';
import type { DamperChoice } from './args';
import { InputError } from './errors';

type DamperClass = new (options: Record<string, unknown>) => BaseDamper;

/** Every damper class of @ortrain/damping, by its lower-case name (padadamp, geodamp, adadamp, ...). */
export function knownDampers(): Map<string, DamperClass> {
  const found = new Map<string, DamperClass>();
  for (const [name, value] of Object.entries(damping)) {
    if (typeof value === 'function' && (value === damping.BaseDamper || value.prototype instanceof damping.BaseDamper)) {
      found.set(name.toLowerCase(), value as unknown as DamperClass);
    }
  }
  return found;
}

/**
 * The damper named on the command line, over the training rows. AdaDamp's full-dataset loss and AdaDampNN's
 * full gradient come from the session, over the training rows.
 */
export function makeDamper(choice: DamperChoice, session: TrainingSession, train: Dataset, lr: number): BaseDamper {
  const known = knownDampers();
  const Class = known.get(choice.name.toLowerCase());
  if (!Class) throw new InputError(`--damper: unknown damper '${choice.name}' (known: ${[...known.keys()].sort().join(', ')})`);
  const options: Record<string, unknown> = { ...choice.options, datasetSize: train.length, lr };
  if (choice.initialBatchSize !== undefined) options.initialBatchSize = choice.initialBatchSize;
  if (choice.maxBatchSize !== undefined) options.maxBatchSize = choice.maxBatchSize;
  // With approxLoss / approx, adadamp estimates on a tenth of the data.
  const tenth = subset(train, Uint32Array.from({ length: Math.max(1, Math.floor(train.length / 10)) }, (_, i) => i));
  if ((Class as unknown) === damping.AdaDamp) options.loss = (meta: DamperMeta) => datasetLoss(session, meta.approxLoss ? tenth : train);
  if ((Class as unknown) === damping.AdaDampNN) options.gradients = async (meta: DamperMeta) => (await datasetGradients(session, meta.approx ? tenth : train)).gradients;
  try {
    return new Class(options);
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) throw new InputError(`--damper ${choice.name}: ${e.message}`);
    throw e;
  }
}
