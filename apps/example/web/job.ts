// Turns the form and the user's files into a training job: the CSV read (through @ortrain/trainer's readCsv)
// and checked against the model, the held-out split, and a TrainingSession on the chosen backend. Every
// problem the user can cause is an error whose message names the file, the column or the option.
import type { BaseDamper } from '@ortrain/damping';
import { Runtime, type ExecutionProvider, type OrtModule } from '@ortrain/runtime';
import { type Dataset, readCsv, splitRows, subset, type TableDataset, tableDataset, TrainingSession, type OptimizerFactory } from '@ortrain/trainer';
import { InputError, listNames } from '../src/errors';
import { describeModel } from '../src/model-info';
import { damperChoice } from './damper-table';
import { buildOptimizer, optimizerChoice } from './optimizer-table';
import type { Inputs, JobSummary, TrainConfig } from './protocol';

export interface Job {
  config: TrainConfig;
  session: TrainingSession;
  /** Every row of the CSV, as the model's batches. */
  data: TableDataset;
  /** The training rows (row indices of `data`) and their dataset, which fit trains on. */
  trainRows: Uint32Array;
  train: Dataset;
  /** The rows each epoch is evaluated on: the held-out ones, or the training rows when none are held out. */
  evalRows: Uint32Array;
  evalData: Dataset;
  /** The model output the loss (and the accuracy) reads. */
  output: string;
  /** Sets each update's batch size and lr when the form chose one. */
  damper?: BaseDamper;
  summary: JobSummary;
}

/** Where the session runs: the onnxruntime module and the providers to try in order. */
export interface Backend {
  ort: OrtModule;
  executionProviders: ExecutionProvider[];
}

function checkConfig(c: TrainConfig): void {
  const positiveInt = (v: number, what: string) => {
    if (!(Number.isInteger(v) && v >= 1)) throw new InputError(`${what}: expected a whole number >= 1, got ${v}`);
  };
  positiveInt(c.epochs, 'epochs');
  positiveInt(c.batchSize, 'batch size');
  if (!(c.valSplit >= 0 && c.valSplit < 1)) throw new InputError(`held-out share: expected a number in [0, 1), got ${c.valSplit}`);
  if (!Number.isFinite(c.featureScale) || c.featureScale === 0) throw new InputError(`feature scale: expected a non-zero number, got ${c.featureScale}`);
  // fit shuffles with seed + 1 (as the CLI does), which must stay below 2^32.
  if (!(Number.isInteger(c.seed) && c.seed >= 0 && c.seed < 0xffffffff)) throw new InputError(`seed: expected a whole number from 0 to ${0xffffffff - 1}, got ${c.seed}`);
  for (const [name, value] of Object.entries(c.optimizerOptions)) {
    if (!Number.isFinite(value)) throw new InputError(`${c.optimizer} option ${name}: expected a number, got ${value}`);
  }
  for (const [name, value] of Object.entries(c.damperOptions)) {
    if (!Number.isFinite(value)) throw new InputError(`${c.damper} option ${name}: expected a number, got ${value}`);
  }
}

/** The form's damper over the training rows, starting from the optimizer's lr; none when the form has none. */
function makeDamper(c: TrainConfig, trainRows: number): BaseDamper | undefined {
  if (c.damper === '') return undefined;
  const { Class } = damperChoice(c.damper);
  const lr = c.optimizerOptions.lr;
  if (lr === undefined) throw new InputError(`damper ${c.damper}: the optimizer ${c.optimizer} has no lr option to start from`);
  try {
    return new Class({ ...c.damperOptions, datasetSize: trainRows, lr });
  } catch (err) {
    throw new InputError(`damper ${c.damper}: ${(err as Error).message}`);
  }
}

function trainableRegExp(source: string, floatInitializers: string[], modelName: string): RegExp | undefined {
  if (source.trim() === '') return undefined;
  let re: RegExp;
  try {
    re = new RegExp(source);
  } catch (err) {
    throw new InputError(`what to train: '${source}' is not a valid RegExp (${(err as Error).message})`);
  }
  if (!floatInitializers.some((n) => re.test(n))) {
    throw new InputError(`what to train: /${source}/ matches none of the float initializers of ${modelName} (${listNames(floatInitializers)})`);
  }
  return re;
}

/** Checks the inputs and builds the session; nothing is left running when it throws. */
export async function prepareJob(config: TrainConfig, inputs: Inputs, backend: Backend): Promise<Job> {
  checkConfig(config);
  const bytes = new Uint8Array(inputs.model);
  if (bytes.length === 0) throw new InputError(`${inputs.modelName}: the model file is empty`);
  let model;
  try {
    model = describeModel(bytes, inputs.modelName);
  } catch (err) {
    throw new InputError(`${inputs.modelName} is not an ONNX model: ${(err as Error).message}`);
  }
  if (model.floatInitializers.length === 0) {
    throw new InputError(`${inputs.modelName} has no trainable float weights (no float initializers)`);
  }
  const trainable = trainableRegExp(config.trainable, model.floatInitializers, inputs.modelName);
  const table = await readCsv(inputs.csv, { source: inputs.csvName });
  const choice = optimizerChoice(config.optimizer);
  if (config.damper !== '') damperChoice(config.damper);

  let runtime: Runtime;
  try {
    runtime = await Runtime.create({ ort: backend.ort, executionProviders: backend.executionProviders });
  } catch (err) {
    throw new InputError(`backend ${backend.executionProviders.join(', then ')} failed to start: ${(err as Error).message}`);
  }
  const session = await TrainingSession.create({
    model: bytes,
    trainable,
    loss: config.loss,
    optimizer: (params) => buildOptimizer(choice, params, config.optimizerOptions) as ReturnType<OptimizerFactory>,
    runtime,
  });
  try {
    const data = tableDataset(table, session, { labelColumn: config.labelColumn, featureScale: config.featureScale, modelSource: inputs.modelName });
    const split = splitRows(data.length, config.valSplit, config.seed);
    const evalSet = split.val.length > 0 ? 'held-out' : 'training';
    const evalRows = evalSet === 'held-out' ? split.val : split.train;
    const damper = makeDamper(config, split.train.length);
    const parameters = session.models.params.reduce((n, p) => n + p.initial.length, 0);
    return {
      config, session, data,
      trainRows: split.train, train: subset(data, split.train),
      evalRows, evalData: subset(data, evalRows),
      output: session.models.loss.output ?? session.models.outputNames[0],
      damper,
      summary: {
        backend: session.runtime.provider,
        parameters,
        trainableNames: [...session.parameterNames],
        trainRows: split.train.length,
        evalRows: evalRows.length,
        evalSet,
        classification: config.loss === 'cross_entropy',
        stepsPerEpoch: damper ? null : Math.ceil(split.train.length / config.batchSize),
      },
    };
  } catch (err) {
    await session.release();
    throw err;
  }
}
