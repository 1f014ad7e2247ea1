import type { ExecutionProvider, OrtModule, Platform } from './types';

/**
 * What differs between onnxruntime-node and onnxruntime-web, kept thin: which module, which providers the
 * platform has, and whether a device tensor can be read with getData().
 */
export interface Backend {
  readonly platform: Platform;
  /** Every provider name this platform knows, whether or not it can start here. */
  readonly providers: readonly ExecutionProvider[];
  /** Providers tried when none are named. */
  readonly defaultProviders: readonly ExecutionProvider[];
  /**
   * True when `tensor.getData()` is safe on a 'gpu-buffer' tensor. onnxruntime-node aborts the process on it,
   * so Node reads device tensors back through a session instead.
   */
  readonly canDownload: boolean;
  readonly ort: OrtModule;
}

/** True when running under Node rather than in a browser or worker. */
export function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions === 'object' && !!process.versions?.node;
}

/** onnxruntime-node has listSupportedBackends(); onnxruntime-web does not. */
export function platformOf(ort: OrtModule): Platform {
  return typeof (ort as { listSupportedBackends?: unknown }).listSupportedBackends === 'function' ? 'node' : 'web';
}
