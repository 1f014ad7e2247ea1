// Turns the form and the user's files into a training job: the data checked against the model, the
// held-out split, and a TrainingSession on the chosen backend. Every problem the user can cause is an
// InputError whose message names the file, the column or the option.
import { Runtime, type ExecutionProvider, type OrtModule } from '@ortrain/runtime';
import { TrainingSession } from '@ortrain/trainer';
import { parseNumericCsv } from '../src/csv';
import { fitDataToModel, type DataFit } from '../src/data-fit';
import { splitRows, toDataset, type Dataset } from '../src/dataset';
import { InputError, listNames } from '../src/errors';
import { describeModel } from '../src/model-info';
import { optimizerChoice } from './optimizer-table';
import type { Inputs, JobSummary, TrainConfig } from './protocol';

export interface Job {
  config: TrainConfig;
  session: TrainingSession;
  fit: DataFit;
  data: Dataset;
  train: Uint32Array;
  /** The rows each epoch is evaluated on: the held-out ones, or the training rows when none are held out. */
  evalRows: Uint32Array;
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
  if (!Number.isInteger(c.seed)) throw new InputError(`seed: expected a whole number, got ${c.seed}`);
  for (const [name, value] of Object.entries(c.optimizerOptions)) {
    if (!Number.isFinite(value)) throw new InputError(`${c.optimizer} option ${name}: expected a number, got ${value}`);
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
  const data = toDataset(parseNumericCsv(inputs.csv, inputs.csvName), config.labelColumn, config.featureScale, inputs.csvName);
  const fit = fitDataToModel(model, data, { loss: config.loss, modelSource: inputs.modelName, dataSource: inputs.csvName });
  const split = splitRows(data.rowCount, config.valSplit, config.seed);
  const evalSet = split.val.length > 0 ? 'held-out' : 'training';
  const choice = optimizerChoice(config.optimizer);

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
    output: fit.output.name,
    optimizer: (params) => new choice.Class(params, config.optimizerOptions),
    runtime,
  });
  const parameters = session.models.params.reduce((n, p) => n + p.initial.length, 0);
  return {
    config, session, fit, data, train: split.train,
    evalRows: evalSet === 'held-out' ? split.val : split.train,
    summary: {
      backend: session.runtime.provider,
      parameters,
      trainableNames: [...session.parameterNames],
      trainRows: split.train.length,
      evalRows: evalSet === 'held-out' ? split.val.length : split.train.length,
      evalSet,
      classification: fit.loss === 'cross_entropy',
      stepsPerEpoch: Math.ceil(split.train.length / config.batchSize),
    },
  };
}
