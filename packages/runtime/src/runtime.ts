import type { Tensor } from 'onnxruntime-common';
import type { ExecutionProvider, OrtModule, ProviderReport, RuntimeSession, SessionOptions } from './types';

export interface RuntimeOptions {
  /** Providers in order of preference; the first that starts is used (default ['cpu']). */
  executionProviders?: ExecutionProvider[];
  /** The onnxruntime module to use (default onnxruntime-node in Node). */
  ort?: OrtModule;
}

/** One face over onnxruntime-node and onnxruntime-web. */
export class Runtime {
  private lastReport: ProviderReport | undefined;

  private constructor(readonly ort: OrtModule, readonly executionProviders: ExecutionProvider[]) {}

  static async create(options: RuntimeOptions = {}): Promise<Runtime> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ort = options.ort ?? (require('onnxruntime-node') as OrtModule);
    return new Runtime(ort, options.executionProviders ?? ['cpu']);
  }

  /** Tensor constructor of the underlying onnxruntime. */
  get Tensor(): OrtModule['Tensor'] {
    return this.ort.Tensor;
  }

  async createSession(model: Uint8Array, _options: SessionOptions = {}): Promise<RuntimeSession> {
    const provider = this.executionProviders[0];
    const session = await this.ort.InferenceSession.create(model, { executionProviders: [provider] });
    this.lastReport = { requested: this.executionProviders, used: provider, skipped: [] };
    return {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      provider,
      run: (feeds) => session.run(feeds) as Promise<Record<string, Tensor>>,
      release: () => session.release(),
    };
  }

  /** Values of a tensor on the CPU, wherever it lives. */
  async read(tensor: Tensor): Promise<Float32Array | Int32Array | BigInt64Array | Uint8Array | Float64Array | Uint16Array> {
    return tensor.data as Float32Array;
  }

  providerReport(): ProviderReport | undefined {
    return this.lastReport;
  }
}
