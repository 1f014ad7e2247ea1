import type { Dim } from '@ortrain/graph-builder';
import type { TensorSpec } from './batch';

/** File names of ONNX Runtime's on-device training artifacts, which ortrain writes and reads. */
export const ARTIFACT_FILES = {
  training: 'training_model.onnx',
  eval: 'eval_model.onnx',
  optimizer: 'optimizer_model.onnx',
  checkpoint: 'checkpoint',
} as const;

/** The metadata key of optimizer_model.onnx that names the optimizer's algorithm. */
export const OPTIMIZER_METADATA = 'ortrain.optimizer';

/**
 * What a session needs besides the models, stored in the checkpoint under `artifacts`: the trainable
 * parameters' shapes, what batches look like, the forward outputs and the loss spec (JSON).
 */
export interface ArtifactConfig {
  params: { name: string; dims: number[] }[];
  inputs: { name: string; dtype: string; shape?: (Dim | null)[] }[];
  labels: { name: string; dtype: string; shape?: (Dim | null)[]; classes?: number; ignoreIndex?: number };
  outputNames: string[];
  /** The loss output of the training and eval models. */
  lossName: string;
  loss: Record<string, unknown>;
}

/** A spec as plain JSON (unknown dimensions as null). */
export function specToJson<T extends TensorSpec>(s: T): T & { shape?: (Dim | null)[] } {
  return { ...s, shape: s.shape?.map((d) => d ?? null) } as T & { shape?: (Dim | null)[] };
}

export function specFromJson<T extends { shape?: (Dim | null)[] }>(s: T): T & { shape?: (Dim | undefined)[] } {
  return { ...s, shape: s.shape?.map((d) => (d === null ? undefined : d)) } as T & { shape?: (Dim | undefined)[] };
}

