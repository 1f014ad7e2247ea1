// The page: reads the form and the files, hands each run to the training worker (worker.ts), draws the loss
// per step and the evaluation per epoch, and saves what the worker exports (model, checkpoint) as files.
import { LOSS_KINDS, type LossKind } from '@ortrain/trainer';
import Papa from 'papaparse';
import { DAMPERS, damperChoice } from './damper-table';
import { DEMO_CONFIG, DEMO_DATA, DEMO_MODEL } from './demo';
import { LossChart } from './loss-chart';
import { OPTIMIZERS, optimizerChoice } from './optimizer-table';
import type { FromWorker, Inputs, Predictions, ToWorker, TrainConfig } from './protocol';
import type { EpochReport } from './train-loop';

type State = 'idle' | 'preparing' | 'running' | 'stopped' | 'done' | 'error';

/** What the page saw, for tests and the curious (window.__ortrainWeb). */
interface Seen {
  steps: number[];
  losses: number[];
  epochs: EpochReport[];
  predictions?: Predictions;
  state: State;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = {
  modelFile: $<HTMLInputElement>('model-file'),
  dataFile: $<HTMLInputElement>('data-file'),
  labelColumn: $<HTMLSelectElement>('label-column'),
  featureScale: $<HTMLInputElement>('feature-scale'),
  valSplit: $<HTMLInputElement>('val-split'),
  trainable: $<HTMLInputElement>('trainable'),
  loss: $<HTMLSelectElement>('loss'),
  optimizer: $<HTMLSelectElement>('optimizer'),
  optimizerOptions: $<HTMLDivElement>('optimizer-options'),
  epochs: $<HTMLInputElement>('epochs'),
  batchSize: $<HTMLInputElement>('batch-size'),
  damper: $<HTMLSelectElement>('damper'),
  damperOptions: $<HTMLDivElement>('damper-options'),
  seed: $<HTMLInputElement>('seed'),
  backend: $<HTMLSelectElement>('backend'),
  checkpointFile: $<HTMLInputElement>('checkpoint-file'),
};
const buttons = {
  demo: $<HTMLButtonElement>('demo'),
  train: $<HTMLButtonElement>('train'),
  stop: $<HTMLButtonElement>('stop'),
  resume: $<HTMLButtonElement>('resume'),
  download: $<HTMLButtonElement>('download'),
  saveCheckpoint: $<HTMLButtonElement>('save-checkpoint'),
};
const statusLine = $<HTMLDivElement>('status');
const result = $<HTMLDivElement>('result');
const epochRows = $<HTMLTableElement>('epochs-table').tBodies[0];
const chart = new LossChart($<HTMLCanvasElement>('loss-chart'));

const seen: Seen = { steps: [], losses: [], epochs: [], state: 'idle' };
(window as unknown as { __ortrainWeb: Seen }).__ortrainWeb = seen;

let model: { bytes: ArrayBuffer; name: string } | undefined;
let data: { file: Blob; name: string; columns: string[] } | undefined;
let worker: Worker | undefined;
let classification = true;

// ---- form ----

for (const loss of LOSS_KINDS) form.loss.add(new Option(loss, loss));
for (const o of OPTIMIZERS) form.optimizer.add(new Option(o.name, o.name));
for (const d of DAMPERS) form.damper.add(new Option(d.name, d.name));

/** Number inputs for a table's options, with `testid` prefixes the tests use. */
function optionInputs(options: Record<string, number>, prefix: string): HTMLLabelElement[] {
  return Object.entries(options).map(([name, value]) => {
    const label = document.createElement('label');
    const input = document.createElement('input');
    Object.assign(input, { type: 'number', step: 'any', value: String(value), name });
    input.dataset.testid = `${prefix}-${name}`;
    label.append(name, input);
    return label;
  });
}

function showOptimizerOptions(): void {
  form.optimizerOptions.replaceChildren(...optionInputs(optimizerChoice(form.optimizer.value).options, 'option'));
}
form.optimizer.addEventListener('change', showOptimizerOptions);
showOptimizerOptions();

/** A damper's options; the batch size field rests while a damper sets the batch size. */
function showDamperOptions(): void {
  const name = form.damper.value;
  form.damperOptions.replaceChildren(...(name === '' ? [] : optionInputs(damperChoice(name).options, 'damper-option')));
  form.batchSize.disabled = name !== '';
}
form.damper.addEventListener('change', showDamperOptions);
showDamperOptions();

function readOptions(div: HTMLDivElement): Record<string, number> {
  const options: Record<string, number> = {};
  for (const input of div.querySelectorAll('input')) options[input.name] = input.value.trim() === '' ? NaN : Number(input.value);
  return options;
}

function setLabelColumns(columns: string[], chosen?: string): void {
  form.labelColumn.replaceChildren(...columns.map((c) => new Option(c, c)));
  form.labelColumn.value = chosen && columns.includes(chosen) ? chosen : columns.includes('label') ? 'label' : columns[columns.length - 1];
}

/**
 * The column names of a CSV's first line, for the label column's list: papaparse reads the file's first
 * chunk only (the worker reads the whole file, through @ortrain/trainer's readCsv, and checks it).
 */
function headerOf(file: Blob): Promise<string[]> {
  return new Promise((resolve) => {
    Papa.parse<string[]>(file as File, {
      preview: 1,
      complete: (r) => resolve((r.data[0] ?? []).map((c) => c.trim())),
      error: () => resolve([]),
    });
  });
}

/** Sets the form to a configuration (the backend stays as the user chose). */
function fillForm(c: Omit<TrainConfig, 'backend'>): void {
  if (data) setLabelColumns(data.columns, c.labelColumn);
  form.featureScale.value = String(c.featureScale);
  form.valSplit.value = String(c.valSplit);
  form.trainable.value = c.trainable;
  form.loss.value = c.loss;
  form.optimizer.value = c.optimizer;
  showOptimizerOptions();
  for (const input of form.optimizerOptions.querySelectorAll('input')) {
    if (input.name in c.optimizerOptions) input.value = String(c.optimizerOptions[input.name]);
  }
  form.epochs.value = String(c.epochs);
  form.batchSize.value = String(c.batchSize);
  form.damper.value = c.damper;
  showDamperOptions();
  for (const input of form.damperOptions.querySelectorAll('input')) {
    if (input.name in c.damperOptions) input.value = String(c.damperOptions[input.name]);
  }
  form.seed.value = String(c.seed);
}

function readConfig(): TrainConfig {
  const num = (input: HTMLInputElement) => (input.value.trim() === '' ? NaN : Number(input.value));
  return {
    labelColumn: form.labelColumn.value,
    featureScale: num(form.featureScale),
    trainable: form.trainable.value,
    loss: form.loss.value as LossKind,
    optimizer: form.optimizer.value,
    optimizerOptions: readOptions(form.optimizerOptions),
    epochs: num(form.epochs),
    batchSize: num(form.batchSize),
    damper: form.damper.value,
    damperOptions: readOptions(form.damperOptions),
    valSplit: num(form.valSplit),
    seed: num(form.seed),
    backend: form.backend.value as TrainConfig['backend'],
  };
}

function showFiles(): void {
  $('files-hint').textContent = `Model: ${model ? `${model.name} (${model.bytes.byteLength} bytes)` : 'none'}; ` +
    `data: ${data ? `${data.name} (${data.file.size} bytes)` : 'none'}.`;
}

form.modelFile.addEventListener('change', async () => {
  const file = form.modelFile.files?.[0];
  model = file ? { bytes: await file.arrayBuffer(), name: file.name } : undefined;
  showFiles();
});
form.dataFile.addEventListener('change', async () => {
  const file = form.dataFile.files?.[0];
  data = file ? { file, name: file.name, columns: await headerOf(file) } : undefined;
  if (data) setLabelColumns(data.columns);
  showFiles();
});

// ---- state ----

function setState(state: State, text?: string): void {
  seen.state = state;
  buttons.stop.disabled = state !== 'running';
  buttons.resume.disabled = state !== 'stopped';
  buttons.download.disabled = buttons.saveCheckpoint.disabled = !(state === 'stopped' || state === 'done');
  form.checkpointFile.disabled = state === 'preparing' || state === 'running';
  if (text !== undefined) statusLine.textContent = text;
}

function showError(message: string): void {
  for (const a of ['data-loss', 'data-accuracy', 'data-backend']) result.removeAttribute(a);
  result.dataset.state = 'error';
  result.dataset.error = message;
  result.textContent = message;
  setState('error', 'Training stopped with an error; fix it and press Train again.');
}

function addEpochRow(r: EpochReport): void {
  const figure = classification ? `${(r.evalAccuracy * 100).toFixed(2)}%` : r.evalLoss.toPrecision(4);
  const row = epochRows.insertRow();
  for (const v of [String(r.epoch), r.trainLoss.toPrecision(4), r.evalLoss.toPrecision(4), figure]) row.insertCell().textContent = v;
}

function saveFile(bytes: ArrayBuffer, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---- the worker ----

function onMessage(m: FromWorker): void {
  switch (m.type) {
    case 'status':
      statusLine.textContent = m.text;
      break;
    case 'ready': {
      classification = m.summary.classification;
      $('eval-loss-head').textContent = `${m.summary.evalSet} loss`;
      $('eval-figure-head').textContent = classification ? `${m.summary.evalSet} accuracy` : `${m.summary.evalSet} error (loss)`;
      statusLine.textContent = `${m.summary.parameters} trainable weights in ${m.summary.trainableNames.length} tensors, ` +
        `${m.summary.trainRows} training rows, ${m.summary.evalRows} ${m.summary.evalSet} rows, ${m.summary.backend}`;
      result.dataset.backend = m.summary.backend;
      break;
    }
    case 'step':
      seen.steps.push(m.step);
      seen.losses.push(m.loss);
      chart.add(m.step, m.loss);
      if (seen.state !== 'running') setState('running');
      break;
    case 'epoch':
      seen.epochs.push(m.report);
      addEpochRow(m.report);
      break;
    case 'stopped':
      chart.draw();
      result.dataset.state = 'stopped';
      setState('stopped', `Stopped after step ${m.step} (${m.epochs} ${m.epochs === 1 ? 'epoch' : 'epochs'} done). Resume, download or save a checkpoint.`);
      break;
    case 'done': {
      chart.draw();
      seen.predictions = m.predictions;
      const r = m.last;
      Object.assign(result.dataset, { state: 'done', loss: String(r.trainLoss), backend: m.backend });
      delete result.dataset.error;
      if (classification) result.dataset.accuracy = String(r.evalAccuracy);
      else delete result.dataset.accuracy;
      result.textContent = `Done on ${m.backend}: training loss ${r.trainLoss.toPrecision(4)}, ` +
        (classification ? `held-out accuracy ${(r.evalAccuracy * 100).toFixed(2)}%` : `held-out loss ${r.evalLoss.toPrecision(4)}`);
      setState('done', `Finished ${r.epoch} epochs.`);
      break;
    }
    case 'model':
      saveFile(m.bytes, `${(model?.name ?? 'model.onnx').replace(/\.onnx$/i, '')}.trained.onnx`);
      setState(seen.state, 'Model downloaded: plain ONNX, runs in stock onnxruntime.');
      break;
    case 'checkpoint':
      saveFile(m.bytes, 'ortrain.ckpt');
      setState(seen.state, 'Checkpoint saved.');
      break;
    case 'error':
      showError(m.message);
      break;
  }
}

/**
 * Sends a run's first command. An idle worker is reused (loading onnxruntime's wasm again costs seconds);
 * one that is still busy is ended with whatever it was doing (or stuck in), and a new one started.
 */
function startWorker(first: ToWorker, transfer: Transferable[] = []): void {
  if (worker && (seen.state === 'preparing' || seen.state === 'running')) {
    worker.terminate();
    worker = undefined;
  }
  if (!worker) {
    const created = new Worker(new URL('./worker.js', location.href), { type: 'module' });
    created.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
    created.onerror = (e) => {
      e.preventDefault();
      created.terminate();
      if (worker === created) worker = undefined;
      showError(`the training worker failed: ${e.message || 'it could not load (see the console)'}`);
    };
    worker = created;
  }
  clearRun();
  setState('preparing', 'Starting the worker...');
  worker.postMessage(first, transfer);
}

/** Forgets the last run's chart, epochs and result, so that nothing of it reads as the next run's. */
function clearRun(): void {
  seen.steps = [];
  seen.losses = [];
  seen.epochs = [];
  seen.predictions = undefined;
  chart.reset();
  epochRows.replaceChildren();
  for (const a of ['state', 'loss', 'accuracy', 'backend', 'error']) delete result.dataset[a];
  result.textContent = '';
}

function inputs(): Inputs | undefined {
  if (!model || !data) {
    showError(`choose ${!model ? 'a model file (.onnx)' : ''}${!model && !data ? ' and ' : ''}${!data ? 'a CSV file' : ''} first, or try the digits demo`);
    return undefined;
  }
  // The worker gets a copy: the page keeps its files for the next run.
  return { model: model.bytes.slice(0), modelName: model.name, csv: data.file, csvName: data.name };
}

function train(): void {
  const given = inputs();
  if (given) startWorker({ type: 'start', config: readConfig(), inputs: given }, [given.model]);
}

buttons.train.addEventListener('click', train);
buttons.stop.addEventListener('click', () => worker?.postMessage({ type: 'stop' } satisfies ToWorker));
buttons.resume.addEventListener('click', () => {
  setState('running', 'Resuming...');
  worker?.postMessage({ type: 'resume' } satisfies ToWorker);
});
buttons.download.addEventListener('click', () => worker?.postMessage({ type: 'export' } satisfies ToWorker));
buttons.saveCheckpoint.addEventListener('click', () => worker?.postMessage({ type: 'save-checkpoint' } satisfies ToWorker));
form.checkpointFile.addEventListener('change', async () => {
  const file = form.checkpointFile.files?.[0];
  form.checkpointFile.value = '';
  const given = inputs();
  if (!file || !given) return;
  const checkpoint = await file.arrayBuffer();
  startWorker({ type: 'load-checkpoint', config: readConfig(), inputs: given, checkpoint, checkpointName: file.name }, [given.model, checkpoint]);
});

buttons.demo.addEventListener('click', async () => {
  // The last run's result goes at once, not after the files arrive.
  clearRun();
  statusLine.textContent = 'Loading the digits demo...';
  try {
    const [m, d] = await Promise.all([DEMO_MODEL, DEMO_DATA].map(async (path) => {
      const response = await fetch(path);
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
      return response;
    }));
    model = { bytes: await m.arrayBuffer(), name: 'digits-mlp.onnx' };
    const file = await d.blob();
    data = { file, name: 'digits.csv', columns: await headerOf(file) };
  } catch (err) {
    showError(`the digits demo could not load: ${(err as Error).message}`);
    return;
  }
  showFiles();
  fillForm(DEMO_CONFIG);
  train();
});

// ---- which backend 'auto' picks ----

(async () => {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown | null> } }).gpu;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  $('backend-hint').textContent = adapter ? 'WebGPU adapter found: auto uses WebGPU.' : 'No WebGPU adapter: auto uses WASM.';
})();
setState('idle');
chart.draw();
