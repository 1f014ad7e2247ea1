// The page's training: @ortrain/trainer's fit over the job's training rows, evaluated on the evaluation rows
// after every epoch; the CLI trains through the same fit. Stop is fit's signal: fit ends after the update
// under way and writes a checkpoint of where it stopped (the session, the sampler and the loop), and Resume
// is fit resumed from those bytes, as is a checkpoint file loaded into a new run.
import { batchesOf, type EpochRecord, fit, type FitOptions } from '@ortrain/trainer';
import type { Job } from './job';

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

export interface RunEvents {
  /** After every update: its number (counted from the run's start) and its loss. May be async. */
  step(step: number, loss: number): void | Promise<void>;
  epoch(report: EpochReport): void;
}

export interface RunEnd {
  /** Whether every epoch has run (false: stopped by the signal). */
  finished: boolean;
  /** fit's checkpoint of where the run ended: `resume` from it continues the run. */
  checkpoint: Uint8Array;
  /** Updates done since the run's start. */
  steps: number;
  /** Every epoch done since the run's start. */
  epochs: EpochReport[];
}

const EVAL_BATCH = 256;

function report(e: EpochRecord, i: number): EpochReport {
  return { epoch: i + 1, trainLoss: e.loss, evalLoss: e.metrics.loss, evalAccuracy: e.metrics.accuracy ?? NaN };
}

/** The fit options of a job: the same every time, as a resumed fit must be the fit that wrote its checkpoint. */
function fitOptions(job: Job): FitOptions {
  const classification = job.summary.classification;
  return {
    epochs: job.config.epochs,
    // With a damper an epoch is as many examples as there are training rows, in batches it sizes.
    ...(job.damper ? { damper: job.damper } : { batchSize: job.config.batchSize }),
    // The CLI's seeds: rows split with the seed, epochs shuffled with seed + 1.
    seed: job.config.seed + 1,
    evalDataset: job.evalData,
    evalBatchSize: EVAL_BATCH,
    ...(classification ? { metrics: { accuracy: 'accuracy' as const } } : {}),
  };
}

/**
 * Trains the job from its start, or from a checkpoint `from` (one that `runFit` returned, or a file of
 * them), until the last epoch or until `signal` is aborted. An aborted signal with `from` only restores the
 * run (checking that the checkpoint fits this job) and returns where it stands.
 */
export async function runFit(job: Job, events: RunEvents, options: { signal: { readonly aborted: boolean }; from?: Uint8Array }): Promise<RunEnd> {
  let checkpoint = options.from;
  const history = await fit(job.session, job.train, {
    ...fitOptions(job),
    ...(options.from ? { resume: options.from } : {}),
    signal: options.signal,
    checkpoint: { write: (bytes) => { checkpoint = bytes; } },
    onStep: (s) => events.step(s.update, s.loss),
    onEpoch: (e) => events.epoch(report(e, e.epoch - 1)),
  });
  return {
    finished: history.epochs.length >= job.config.epochs,
    checkpoint: checkpoint!,
    steps: history.updates.length,
    epochs: history.epochs.map(report),
  };
}

/** The model's output for every evaluation row, row after row (evalStep, nothing updated). */
export async function predict(job: Job): Promise<Float32Array> {
  const chunks: Float32Array[] = [];
  for (const rows of batchesOf(Uint32Array.from({ length: job.evalData.length }, (_, i) => i), EVAL_BATCH)) {
    const { outputs } = await job.session.evalStep(await job.evalData.batch(rows));
    chunks.push(Float32Array.from(outputs[job.output].data as Float32Array));
  }
  const out = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  chunks.reduce((at, c) => (out.set(c, at), at + c.length), 0);
  return out;
}
