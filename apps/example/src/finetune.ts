import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { accuracy as accuracyMetric, fit, readCsv, splitRows, subset, tableDataset, TrainingSession, type Dataset, type FitHistory } from '@ortrain/trainer';
import type { FinetuneOptions } from './args';
import { makeDamper } from './damper-choice';
import { InputError, listNames } from './errors';
import { readModel } from './model-info';
import { optimizerFactory } from './optimizer-choice';
import { accuracy, concat, runExportedModel } from './plain-inference';
import { createProgress } from './progress';

export interface EpochReport {
  epoch: number;
  /** Mean training loss over the epoch's rows. */
  trainLoss: number;
  valLoss: number;
  /** NaN unless the loss is cross-entropy. */
  valAccuracy: number;
}

export interface FinetuneReport {
  trainRows: number;
  /** Rows the evaluation ran on: the held-out rows, or the training rows when nothing is held out. */
  evalRows: number;
  evalSet: 'held-out' | 'training';
  epochs: EpochReport[];
  /** fit's history: loss, batch size, lr and examples seen per update; loss and metrics per epoch. */
  history: FitHistory;
  /** Loss and accuracy of the training session's evalStep on the evaluation rows after the last epoch. */
  valLoss: number;
  valAccuracy: number;
  outPath: string;
  /** Accuracy of the exported file run by plain onnxruntime-node on the same rows. */
  exportedAccuracy: number;
  /** Largest absolute difference between the exported model's outputs and evalStep's. */
  maxOutputDifference: number;
  seconds: number;
}

const EVAL_BATCH = 256;

/** evalStep's outputs over a dataset, row after row. */
async function sessionOutputs(session: TrainingSession, data: Dataset, output: string): Promise<Float32Array> {
  const chunks: Float32Array[] = [];
  for (let start = 0; start < data.length; start += EVAL_BATCH) {
    const rows = Uint32Array.from({ length: Math.min(EVAL_BATCH, data.length - start) }, (_, i) => start + i);
    const { outputs } = await session.evalStep(await data.batch(rows));
    chunks.push(Float32Array.from(outputs[output].data as Float32Array));
  }
  return concat(chunks);
}

/** Writes a file whole or not at all: to a temporary name first, then renamed over the target. */
function writeAtomic(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Fine-tunes a model on a CSV file: reads it (streamed), checks that it fits the model, trains with the
 * trainer's `fit` (a fixed batch size, or a damper setting batch size and lr), evaluates on the held-out rows
 * after every epoch, exports the trained model and runs the export with plain onnxruntime-node to confirm it
 * gives what the training session gave.
 */
/** `warn` gets warnings (a diverging loss), on stderr by default. */
export async function finetune(options: FinetuneOptions, log: (line: string) => void = console.log,
  warn: (line: string) => void = console.error): Promise<FinetuneReport> {
  const started = Date.now();
  const optimizer = optimizerFactory(options.optimizer, options.lr, options.optimizerOptions, options);
  const model = readModel(options.model);
  const floatInitializers = model.floatInitializers;
  if (options.trainable && !floatInitializers.some((n) => options.trainable!.test(n))) {
    throw new InputError(
      `--trainable: ${options.trainable} matches none of the float initializers of ${options.model} (${listNames(floatInitializers)})`,
    );
  }
  const table = await readCsv(options.data, { delimiter: options.delimiter, header: options.header });

  let diverged = 0;
  const session = await TrainingSession.create({
    model: model.bytes,
    trainable: options.trainable,
    loss: options.loss,
    optimizer,
    executionProviders: [options.executionProvider],
    // Once per run: a diverging run would otherwise warn at every window.
    onDivergence: (d) => {
      if (diverged++ === 0) {
        warn(`warning: the training loss grew from ${d.from.toPrecision(3)} (step ${d.fromStep}) to ${d.loss.toPrecision(3)} ` +
          `(step ${d.step}), ${Math.round(Math.log10(d.growth))} orders of magnitude: the lr (${options.lr}) is probably too large`);
      }
    },
  });
  try {
    const data = tableDataset(table, session, { labelColumn: options.labelColumn, featureScale: options.featureScale, inputName: options.inputName, modelSource: options.model });
    const output = session.models.loss.output ?? session.models.outputNames[0];
    const split = splitRows(data.length, options.valSplit, options.seed);
    const evalSet = split.val.length > 0 ? 'held-out' : 'training';
    const evalRows = split.val.length > 0 ? split.val : split.train;
    const train = subset(data, split.train);
    const held = subset(data, evalRows);
    const damper = options.damper ? makeDamper(options.damper, session, train, options.lr) : undefined;

    const used = session.runtime.providerReport().used;
    const batching = options.damper
      ? `damper ${options.damper.name}${options.damper.initialBatchSize !== undefined ? ` from batch ${options.damper.initialBatchSize}` : ''}${options.damper.maxBatchSize !== undefined ? ` up to ${options.damper.maxBatchSize}` : ''}`
      : `batch ${options.batchSize}`;
    log(
      `fine-tuning ${options.model}: ${session.parameterNames.length} trainable initializers, ${split.train.length} training rows, ` +
        `${evalSet === 'held-out' ? `${evalRows.length} held-out rows` : 'none held out (evaluating on the training rows)'}, ${options.optimizer} lr ${options.lr}, ${batching}, ${options.loss}, ${used}`,
    );
    const classes = options.loss === 'cross_entropy';
    const progress = createProgress(options.epochs, options.progress && process.stderr.isTTY === true, log);
    let valAccuracy = NaN;
    let epochStart = 0;
    let lossSum = 0;
    let last = { batchSize: NaN, lr: NaN };
    progress.startEpoch(1, train.length);
    const history = await fit(session, train, {
      epochs: options.epochs,
      ...(damper ? { damper } : { batchSize: options.batchSize }),
      seed: options.seed + 1,
      evalDataset: held,
      evalBatchSize: EVAL_BATCH,
      ...(classes ? { metrics: { accuracy: accuracyMetric(output) } } : {}),
      onStep: (s) => {
        lossSum += s.loss * s.batchSize;
        last = { batchSize: s.batchSize, lr: s.lr };
        progress.step(s.examples - epochStart, { loss: lossSum / (s.examples - epochStart), accuracy: valAccuracy, batchSize: s.batchSize, lr: s.lr });
      },
      onEpoch: (e) => {
        valAccuracy = classes ? e.metrics.accuracy : NaN;
        // A fixed batch size shows as itself, not as the epoch's short last batch; a damper's as its latest.
        progress.endEpoch({ loss: e.loss, accuracy: valAccuracy, valLoss: e.metrics.loss, batchSize: damper ? last.batchSize : options.batchSize, lr: last.lr });
        epochStart = e.examples;
        lossSum = 0;
        if (e.epoch < options.epochs) progress.startEpoch(e.epoch + 1, train.length);
      },
    });
    const epochs: EpochReport[] = history.epochs.map((e, i) => ({ epoch: i + 1, trainLoss: e.loss, valLoss: e.metrics.loss, valAccuracy: classes ? e.metrics.accuracy : NaN }));
    const lastEpoch = epochs[epochs.length - 1];

    writeAtomic(options.out, await session.exportModel());
    const mine = await sessionOutputs(session, held, output);
    const exported = await runExportedModel(options.out, held, output);
    let maxOutputDifference = exported.length === mine.length ? 0 : Infinity;
    for (let i = 0; i < exported.length; i++) maxOutputDifference = Math.max(maxOutputDifference, Math.abs(exported[i] - mine[i]));
    const labels = Float64Array.from(evalRows, (r) => data.labels[r]);
    return {
      trainRows: split.train.length,
      evalRows: evalRows.length,
      evalSet,
      epochs,
      history,
      valLoss: lastEpoch.valLoss,
      // From the same outputs the export is compared on, by the same function: the two agree exactly.
      valAccuracy: classes ? accuracy(mine, labels) : NaN,
      outPath: options.out,
      exportedAccuracy: classes ? accuracy(exported, labels) : NaN,
      maxOutputDifference,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await session.release();
  }
}
