// The training loop the page's worker runs (and the Node test runs with onnxruntime-node): epochs of shuffled
// batches, one trainStep each, then an evaluation on the held-out rows. It stops between steps when asked and
// resumes from a position, which checkpoints keep in `session.rngState`.
import { createRandom, shuffle } from '@ortrain/trainer';
import { makeBatch } from '../src/data-fit';
import { batchesOf } from '../src/dataset';
import { accuracy, concat } from '../src/plain-inference';
import type { Job } from './job';

/** Where the loop is: the epoch under way (0-based), its next batch, and its training loss so far. */
export interface LoopPosition {
  epoch: number;
  batch: number;
  lossSum: number;
  seen: number;
}

export interface EpochReport {
  /** 1-based. */
  epoch: number;
  /** Mean training loss over the epoch's rows. */
  trainLoss: number;
  /** Mean loss on the evaluation rows after the epoch. */
  evalLoss: number;
  /** Share of evaluation rows classified right (cross-entropy), else NaN. */
  evalAccuracy: number;
}

export interface LoopEvents {
  step(step: number, loss: number): void;
  epoch(report: EpochReport, outputs: Float32Array): void;
  /** Asked before every step: true makes the loop return where it is. */
  stopRequested(): boolean | Promise<boolean>;
}

export const START: LoopPosition = { epoch: 0, batch: 0, lossSum: 0, seen: 0 };
const EVAL_BATCH = 256;

/** The training rows in epoch `epoch`'s order: one seeded shuffle per epoch, as the CLI's loop does. */
export function epochOrder(job: Job, epoch: number): Uint32Array {
  const order = job.train.slice();
  const random = createRandom(job.config.seed + 1);
  for (let e = 0; e <= epoch; e++) shuffle(order, random);
  return order;
}

/** evalStep over the evaluation rows: mean loss, the fitted output row after row, and accuracy. */
export async function evaluate(job: Job): Promise<{ loss: number; accuracy: number; outputs: Float32Array }> {
  let lossSum = 0;
  const chunks: Float32Array[] = [];
  for (const rows of batchesOf(job.evalRows, EVAL_BATCH)) {
    const { loss, outputs } = await job.session.evalStep(makeBatch(job.fit, job.data, rows));
    lossSum += loss * rows.length;
    chunks.push(Float32Array.from(outputs[job.fit.output.name].data as Float32Array));
  }
  const outputs = concat(chunks);
  const labels = Float64Array.from(job.evalRows, (r) => job.data.labels[r]);
  return { loss: lossSum / job.evalRows.length, outputs, accuracy: job.fit.loss === 'cross_entropy' ? accuracy(outputs, labels) : NaN };
}

/** Trains from `from` to the last epoch, or until a stop is asked; returns where it ended. */
export async function runEpochs(job: Job, from: LoopPosition, events: LoopEvents): Promise<{ position: LoopPosition; finished: boolean }> {
  let { epoch, batch, lossSum, seen } = from;
  for (; epoch < job.config.epochs; epoch++, batch = 0, lossSum = 0, seen = 0) {
    const batches = batchesOf(epochOrder(job, epoch), job.config.batchSize);
    for (; batch < batches.length; batch++) {
      if (await events.stopRequested()) return { position: { epoch, batch, lossSum, seen }, finished: false };
      const { loss } = await job.session.trainStep(makeBatch(job.fit, job.data, batches[batch]));
      lossSum += loss * batches[batch].length;
      seen += batches[batch].length;
      events.step(job.session.step, loss);
    }
    const result = await evaluate(job);
    events.epoch({ epoch: epoch + 1, trainLoss: lossSum / seen, evalLoss: result.loss, evalAccuracy: result.accuracy }, result.outputs);
  }
  return { position: { epoch, batch: 0, lossSum: 0, seen: 0 }, finished: true };
}
