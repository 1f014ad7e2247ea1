// ortrain's TrainingSession ('@ortrain/trainer') on the CPU provider: one session.run per trainStep holds
// forward, loss, backward and Adam.
import { join } from 'path';
import { Tensor } from 'onnxruntime-node';
import { loadOptimizers, OptimizersModule } from '../optimizer/ortrain-adam';
import { optionalImport } from '../optional-import';
import { Contestant, timeBlock } from '../rounds';
import { Batch, ModelName } from './batches';

interface TrainingSessionLike {
  trainStep(batch: { inputs: Record<string, Tensor>; labels: Tensor }): Promise<unknown>;
  release?(): Promise<void>;
}

export interface TrainerModule {
  TrainingSession: {
    create(options: {
      model: string;
      loss: string;
      optimizer: (params: never[]) => unknown;
      executionProviders: string[];
    }): Promise<TrainingSessionLike>;
  };
}

export const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'models');

/** The trainer and the optimizers, or why they cannot run yet. */
export async function loadTrainer(): Promise<{ trainer: TrainerModule; optimizers: OptimizersModule } | string> {
  const trainer = await optionalImport<TrainerModule>('@ortrain/trainer', ['TrainingSession']);
  if (typeof trainer === 'string') return trainer;
  const optimizers = await loadOptimizers();
  if (typeof optimizers === 'string') return optimizers;
  return { trainer, optimizers };
}

export interface OrtrainTraining extends Contestant {
  release(): Promise<void>;
}

/**
 * A contestant stepping `model` through `batches` with one trainStep per step; `o.optimizer` replaces Adam
 * (the wrappers' section passes SAM and Lookahead around it), `o.name` the contestant's name.
 */
export async function ortrainTraining(mods: { trainer: TrainerModule; optimizers: OptimizersModule }, model: ModelName, batches: Batch[],
  o: { name?: string; optimizer?: (params: never[]) => unknown } = {}): Promise<OrtrainTraining> {
  const { Adam } = mods.optimizers;
  const session = await mods.trainer.TrainingSession.create({
    model: join(FIXTURES, `${model}.onnx`),
    loss: 'cross_entropy',
    optimizer: o.optimizer ?? ((params) => new Adam(params, { lr: 1e-3 })),
    executionProviders: ['cpu'],
  });
  const feeds = batches.map((b) => ({
    inputs: { input: new Tensor('float32', b.x, b.shape) },
    labels: new Tensor('int64', BigInt64Array.from(b.labels, (v) => BigInt(v)), [b.labels.length]),
  }));
  let k = 0;
  return {
    name: o.name ?? 'ortrain (ORT CPU)',
    runBlock: (reps) => timeBlock(reps, async () => {
      await session.trainStep(feeds[k]);
      k = (k + 1) % feeds.length;
    }),
    release: async () => { await session.release?.(); },
  };
}
