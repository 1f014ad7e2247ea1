// Messages between the page (main.ts) and the training worker (worker.ts).
import type { LossKind } from '@ortrain/trainer';
import type { EpochReport } from './train-loop';

/** What the form asks for. */
export interface TrainConfig {
  labelColumn: string;
  /** Every feature is multiplied by this (the digits' pixels are 0..16, so the demo uses 1/16). */
  featureScale: number;
  /** A RegExp source on initializer names; '' trains every float initializer. */
  trainable: string;
  loss: LossKind;
  /** A name from optimizer-table.ts, with its numeric options. */
  optimizer: string;
  optimizerOptions: Record<string, number>;
  epochs: number;
  /** Examples per update; unused with a damper, which sets it. */
  batchSize: number;
  /** A name from damper-table.ts, or '' for none: then fit takes each update's batch size and lr from it. */
  damper: string;
  damperOptions: Record<string, number>;
  /** Share of the rows held out for the per-epoch figure. */
  valSplit: number;
  seed: number;
  /** 'auto': WebGPU when the worker's navigator.gpu gives an adapter, else WASM. */
  backend: 'auto' | 'webgpu' | 'wasm';
}

/** The user's files: a model's bytes and a CSV file (read in the worker, in chunks), with the names errors use. */
export interface Inputs {
  model: ArrayBuffer;
  modelName: string;
  csv: Blob;
  csvName: string;
}

export type ToWorker =
  | { type: 'start'; config: TrainConfig; inputs: Inputs }
  | { type: 'stop' }
  | { type: 'resume' }
  | { type: 'export' }
  | { type: 'save-checkpoint' }
  /** Builds the session from the form and the files as 'start' does, then loads the checkpoint and waits for 'resume'. */
  | { type: 'load-checkpoint'; config: TrainConfig; inputs: Inputs; checkpoint: ArrayBuffer; checkpointName: string };

/** What the page shows once the session is built. */
export interface JobSummary {
  /** The execution provider in use: 'webgpu' or 'wasm'. */
  backend: string;
  parameters: number;
  trainableNames: string[];
  trainRows: number;
  evalRows: number;
  evalSet: 'held-out' | 'training';
  classification: boolean;
  /** Updates per epoch with a fixed batch size; null with a damper. */
  stepsPerEpoch: number | null;
}

/** The evaluation after the last epoch run: what the page predicts for the evaluation rows. */
export interface Predictions {
  /** Row indices (0-based data rows of the CSV) of the evaluation set, in output order. */
  rows: number[];
  /** The model's first output for those rows, row after row. */
  outputs: number[];
  /** Values per row. */
  width: number;
}

export type FromWorker =
  | { type: 'status'; text: string }
  | { type: 'ready'; summary: JobSummary; step: number }
  | { type: 'step'; step: number; loss: number }
  | { type: 'epoch'; report: EpochReport }
  /** `step` updates done, `epochs` of them complete. */
  | { type: 'stopped'; step: number; epochs: number }
  | { type: 'done'; last: EpochReport; predictions: Predictions; backend: string }
  | { type: 'model'; bytes: ArrayBuffer }
  | { type: 'checkpoint'; bytes: ArrayBuffer }
  | { type: 'error'; message: string };
