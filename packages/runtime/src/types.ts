import type { InferenceSession, Tensor } from 'onnxruntime-common';

/** Execution providers by the names onnxruntime uses. */
export type ExecutionProvider = 'cpu' | 'webgpu' | 'cuda' | 'wasm';

/** The part of an onnxruntime package (onnxruntime-node or onnxruntime-web) that ortrain uses. */
export interface OrtModule {
  InferenceSession: typeof InferenceSession;
  Tensor: typeof Tensor;
  env: unknown;
}

/** Which provider each session got, and why the ones before it in the list were skipped. */
export interface ProviderReport {
  requested: ExecutionProvider[];
  used: ExecutionProvider;
  skipped: { provider: ExecutionProvider; reason: string }[];
}

export interface SessionOptions {
  /**
   * Outputs to leave on the device (WebGPU 'gpu-buffer') instead of copying to the CPU: `true` for all of
   * them, or their names. Ignored on CPU providers.
   */
  deviceOutputs?: boolean | string[];
}

/** One loaded model on one execution provider. */
export interface RuntimeSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly provider: ExecutionProvider;
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}
