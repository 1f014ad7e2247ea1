import type { InferenceSession, Tensor } from 'onnxruntime-common';

/** Execution providers by the names onnxruntime uses. */
export type ExecutionProvider = 'cpu' | 'webgpu' | 'cuda' | 'wasm';

/** Where the runtime runs: onnxruntime-node in Node, onnxruntime-web in a browser. */
export type Platform = 'node' | 'web';

/** The part of an onnxruntime package (onnxruntime-node or onnxruntime-web) that ortrain uses. */
export interface OrtModule {
  InferenceSession: typeof InferenceSession;
  Tensor: typeof Tensor;
  env: unknown;
}

/** Which provider the runtime uses, and why the ones before it in the list were skipped. */
export interface ProviderReport {
  platform: Platform;
  requested: ExecutionProvider[];
  used: ExecutionProvider;
  skipped: { provider: ExecutionProvider; reason: string }[];
}

export interface SessionOptions {
  /**
   * Outputs to leave on the device (WebGPU 'gpu-buffer') instead of copying to the CPU: `true` for all of
   * them, or their names. Ignored on providers other than WebGPU.
   */
  deviceOutputs?: boolean | string[];
  /**
   * Threads one operator may use on the CPU provider (default: onnxruntime's, one per core). Small graphs run
   * faster on one thread: the hand-off to a pool costs more than it saves.
   */
  intraOpNumThreads?: number;
  /**
   * Whether the CPU provider's pool threads spin while they wait for work (default true, onnxruntime's).
   * Spinning threads take cores from everything else on a busy machine; blocking ones keep the pool's
   * speed-up where cores are free.
   */
  allowSpinning?: boolean;
  /** onnxruntime's graph optimization level (default 'all'). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'layout' | 'all';
  /**
   * Share one loaded session between requests with the same model bytes and options (default false). Each
   * caller still calls release(); the session is released when the last one does.
   */
  cache?: boolean;
}

/** Element values of a tensor read back to the CPU. */
export type TensorValues = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array
  | Uint32Array | BigInt64Array | BigUint64Array | string[];

/** One loaded model on one execution provider. */
export interface RuntimeSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly provider: ExecutionProvider;
  /** Names of the outputs that stay on the device ('gpu-buffer'); empty on CPU providers. */
  readonly deviceOutputs: readonly string[];
  /**
   * Runs the model. With `fetches` (CPU tensors named like outputs), those outputs are written into the
   * given tensors' memory instead of fresh buffers: reused memory is cheaper than new pages every run.
   */
  run(feeds: Record<string, Tensor>, fetches?: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}
