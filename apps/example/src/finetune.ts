import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { TrainingSession } from '@ortrain/trainer';
import type { Tensor } from 'onnxruntime-node';
import type { FinetuneOptions } from './args';
import { readNumericCsv } from './csv';
import { fitDataToModel, makeBatch, type DataFit } from './data-fit';
import { batchesOf, splitRows, toDataset, type Dataset } from './dataset';
import { InputError, listNames } from './errors';
import { readModel } from './model-info';
import { optimizerFactory } from './optimizer-choice';
import { accuracy, concat, runExportedModel } from './plain-inference';
import { createProgress } from './progress';
import { createRandom, shuffle } from '@ortrain/trainer';

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

function output(outputs: Record<string, Tensor>, name: string): Tensor {
  const t = outputs[name];
  if (!t) throw new Error(`evalStep returned no output '${name}' (got ${Object.keys(outputs).join(', ')})`);
  return t;
}

/** evalStep over the rows in large batches: mean loss, the fitted output row after row, and accuracy. */
async function evaluate(session: TrainingSession, fit: DataFit, data: Dataset, rows: Uint32Array) {
  let lossSum = 0;
  const chunks: Float32Array[] = [];
  for (const batch of batchesOf(rows, EVAL_BATCH)) {
    const { loss, outputs } = await session.evalStep(makeBatch(fit, data, batch));
    lossSum += loss * batch.length;
    chunks.push(Float32Array.from(output(outputs, fit.output.name).data as Float32Array));
  }
  const out = concat(chunks);
  const labels = Float64Array.from(rows, (r) => data.labels[r]);
  return { loss: lossSum / rows.length, outputs: out, accuracy: fit.loss === 'cross_entropy' ? accuracy(out, labels) : NaN };
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
 * Fine-tunes a model on a CSV file: checks that the data fits the model, trains with one fused step per
 * batch, evaluates on the held-out rows, exports the trained model and runs the export with plain
 * onnxruntime-node to confirm it gives what the training session gave.
 */
/** `warn` gets warnings (a diverging loss), on stderr by default. */
export async function finetune(options: FinetuneOptions, log: (line: string) => void = console.log,
  warn: (line: string) => void = console.error): Promise<FinetuneReport> {
  const started = Date.now();
  const optimizer = optimizerFactory(options.optimizer, options.lr);
  const model = readModel(options.model);
  const floatInitializers = model.floatInitializers;
  if (options.trainable && !floatInitializers.some((n) => options.trainable!.test(n))) {
    throw new InputError(
      `--trainable: ${options.trainable} matches none of the float initializers of ${options.model} (${listNames(floatInitializers)})`,
    );
  }
  const data = toDataset(readNumericCsv(options.data), options.labelColumn, options.featureScale, options.data);
  const fit = fitDataToModel(model, data, { loss: options.loss, inputName: options.inputName, modelSource: options.model, dataSource: options.data });
  const split = splitRows(data.rowCount, options.valSplit, options.seed);
  const evalSet = split.val.length > 0 ? 'held-out' : 'training';
  const evalRows = split.val.length > 0 ? split.val : split.train;

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
    const used = session.runtime.providerReport().used;
    log(
      `fine-tuning ${options.model}: ${session.parameterNames.length} trainable initializers, ${split.train.length} training rows, ` +
        `${evalSet === 'held-out' ? `${evalRows.length} held-out rows` : 'none held out (evaluating on the training rows)'}, ${options.optimizer} lr ${options.lr}, batch ${options.batchSize}, ${options.loss}, ${used}`,
    );
    const progress = createProgress(options.epochs, options.progress && process.stderr.isTTY === true, log);
    const order = split.train.slice();
    const random = createRandom(options.seed + 1);
    const epochs: EpochReport[] = [];
    let val: { loss: number; accuracy: number; outputs: Float32Array } = { loss: NaN, accuracy: NaN, outputs: new Float32Array(0) };
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      const batches = batchesOf(shuffle(order, random), options.batchSize);
      progress.startEpoch(epoch, batches.length);
      let lossSum = 0;
      let seen = 0;
      for (let b = 0; b < batches.length; b++) {
        const { loss } = await session.trainStep(makeBatch(fit, data, batches[b]));
        lossSum += loss * batches[b].length;
        seen += batches[b].length;
        progress.step(b + 1, { loss: lossSum / seen, accuracy: val.accuracy });
      }
      val = await evaluate(session, fit, data, evalRows);
      progress.endEpoch({ loss: lossSum / seen, accuracy: val.accuracy, valLoss: val.loss });
      epochs.push({ epoch, trainLoss: lossSum / seen, valLoss: val.loss, valAccuracy: val.accuracy });
    }

    writeAtomic(options.out, await session.exportModel());
    const exported = await runExportedModel(options.out, fit, data, evalRows);
    let maxOutputDifference = exported.length === val.outputs.length ? 0 : Infinity;
    for (let i = 0; i < exported.length; i++) maxOutputDifference = Math.max(maxOutputDifference, Math.abs(exported[i] - val.outputs[i]));
    const exportedAccuracy = fit.loss === 'cross_entropy' ? accuracy(exported, Float64Array.from(evalRows, (r) => data.labels[r])) : NaN;
    return {
      trainRows: split.train.length,
      evalRows: evalRows.length,
      evalSet,
      epochs,
      valLoss: val.loss,
      valAccuracy: val.accuracy,
      outPath: options.out,
      exportedAccuracy,
      maxOutputDifference,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await session.release();
  }
}
