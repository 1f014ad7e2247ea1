import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { Backend, isNode, platformOf } from './backend';
import { nodeBackend } from './backend-node';
import { webBackend } from './backend-web';
import { DeviceReader } from './device-read';
import { checkProviderNames, chooseProvider, providerEntry } from './provider-choice';
import { SessionCache } from './session-cache';
import type { ExecutionProvider, OrtModule, Platform, ProviderReport, RuntimeSession, SessionOptions, TensorValues } from './types';

export interface RuntimeOptions {
  /**
   * Providers in order of preference; the first that starts on this machine is used (default ['cpu'] in
   * Node, ['wasm'] in a browser).
   */
  executionProviders?: readonly ExecutionProvider[];
  /** The onnxruntime module to use (default onnxruntime-node in Node, onnxruntime-web in a browser). */
  ort?: OrtModule;
  /** Which backend `ort` is (default: told from the module itself, or from where the code runs). */
  platform?: Platform;
}

const OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'layout', 'all'];

/**
 * One face over onnxruntime-node and onnxruntime-web. `create` picks the first execution provider that
 * starts and keeps the reasons the others did not; every session of the runtime runs on that provider.
 */
export class Runtime {
  private readonly deviceReader: DeviceReader;
  private readonly cache = new SessionCache<InferenceSession>();

  private constructor(private readonly backend: Backend, private readonly report: ProviderReport) {
    this.deviceReader = new DeviceReader(backend, report.used);
  }

  static async create(options: RuntimeOptions = {}): Promise<Runtime> {
    const platform = options.platform ?? (options.ort ? platformOf(options.ort) : isNode() ? 'node' : 'web');
    if (platform !== 'node' && platform !== 'web') {
      throw new RangeError(`platform: expected 'node' or 'web', got ${JSON.stringify(platform)}`);
    }
    const backend = platform === 'node' ? nodeBackend(options.ort) : await webBackend(options.ort);
    const requested = checkProviderNames(backend, options.executionProviders ?? [...backend.defaultProviders]);
    return new Runtime(backend, await chooseProvider(backend, requested));
  }

  get ort(): OrtModule {
    return this.backend.ort;
  }

  get platform(): Platform {
    return this.backend.platform;
  }

  /** The provider every session of this runtime runs on. */
  get provider(): ExecutionProvider {
    return this.report.used;
  }

  /** The providers requested, in order. */
  get executionProviders(): ExecutionProvider[] {
    return [...this.report.requested];
  }

  /** Tensor constructor of the underlying onnxruntime. */
  get Tensor(): OrtModule['Tensor'] {
    return this.backend.ort.Tensor;
  }

  /** Which provider is used and why each one before it in the list was skipped. */
  providerReport(): ProviderReport {
    return { ...this.report, requested: [...this.report.requested], skipped: this.report.skipped.map((s) => ({ ...s })) };
  }

  /**
   * Loads a model on the runtime's provider. With `deviceOutputs` on WebGPU the named outputs (or all) stay
   * on the device as 'gpu-buffer' tensors, which can be fed back as inputs and read with `read()`.
   */
  async createSession(model: Uint8Array, options: SessionOptions = {}): Promise<RuntimeSession> {
    const level = options.graphOptimizationLevel ?? 'all';
    if (!OPTIMIZATION_LEVELS.includes(level)) {
      throw new RangeError(`graphOptimizationLevel: expected one of ${OPTIMIZATION_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
    }
    const threads = options.intraOpNumThreads;
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 0)) {
      throw new RangeError(`intraOpNumThreads: expected a whole number >= 0 (0: onnxruntime's default), got ${JSON.stringify(threads)}`);
    }
    const deviceOutputs = options.deviceOutputs ?? false;
    if (typeof deviceOutputs !== 'boolean' && !(Array.isArray(deviceOutputs) && deviceOutputs.every((n) => typeof n === 'string'))) {
      throw new RangeError(`deviceOutputs: expected true, false or a list of output names, got ${JSON.stringify(deviceOutputs)}`);
    }
    const provider = this.report.used;
    const onDevice = provider === 'webgpu' && deviceOutputs !== false;
    const sessionOptions: InferenceSession.SessionOptions = {
      executionProviders: [providerEntry(provider)],
      graphOptimizationLevel: level,
    };
    if (threads) sessionOptions.intraOpNumThreads = threads;
    const spinning = options.allowSpinning ?? true;
    if (typeof spinning !== 'boolean') throw new RangeError(`allowSpinning: expected true or false, got ${JSON.stringify(spinning)}`);
    if (!spinning) sessionOptions.extra = { session: { intra_op: { allow_spinning: '0' } } };
    if (onDevice) {
      sessionOptions.preferredOutputLocation = deviceOutputs === true
        ? 'gpu-buffer'
        : Object.fromEntries(deviceOutputs.map((name) => [name, 'gpu-buffer' as const]));
    }
    const load = () => this.load(model, sessionOptions, deviceOutputs);
    const { session, release } = options.cache
      ? await this.cache.acquire(model, JSON.stringify([level, deviceOutputs, threads ?? 0, spinning]), load)
      : await load().then((s) => ({ session: s, release: () => s.release() }));
    const onDeviceNames = !onDevice ? [] : deviceOutputs === true ? [...session.outputNames] : [...(deviceOutputs as string[])];
    let released = false;
    return {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      provider,
      deviceOutputs: onDeviceNames,
      run: async (feeds, fetches) => {
        if (released) throw new Error('run: this session has been released');
        if (!fetches) return (await session.run(feeds)) as Record<string, Tensor>;
        const out = (await session.run(feeds, fetches)) as Record<string, Tensor>;
        // onnxruntime-node (1.30) writes each output into the fetched tensor's memory, then hands back a copy
        // of it in a tensor of its own: copying that back in would be a third pass over every output for
        // nothing, so on Node the caller's tensors are returned as they are (runtime.test.ts checks that
        // the values land there). Other backends may only hand back other memory: copied in.
        const inPlace = this.backend.platform === 'node';
        for (const name in fetches) {
          const want = fetches[name].data as Float32Array;
          const got = out[name].data as Float32Array;
          if (!inPlace && (got.buffer !== want.buffer || got.byteOffset !== want.byteOffset)) want.set(got);
          out[name] = fetches[name];
        }
        return out;
      },
      release: async () => {
        if (released) return;
        released = true;
        await release();
      },
    };
  }

  /** Creates one onnxruntime session; errors name the provider, or the device output that does not exist. */
  private async load(model: Uint8Array, sessionOptions: InferenceSession.SessionOptions, deviceOutputs: boolean | string[]): Promise<InferenceSession> {
    const provider = this.report.used;
    let session: InferenceSession;
    try {
      session = await this.backend.ort.InferenceSession.create(model, sessionOptions);
    } catch (e) {
      const message = (e as { message?: unknown } | null)?.message;
      if (Array.isArray(deviceOutputs) && typeof message === 'string' && /output name/i.test(message)) {
        throw new RangeError(`deviceOutputs: ${JSON.stringify(deviceOutputs)} names an output the model does not have: ${message}`);
      }
      throw new Error(`createSession: the model could not be loaded on provider '${provider}': ${typeof message === 'string' ? message : String(e)}`);
    }
    // onnxruntime-node checks the names itself; this covers backends that do not.
    if (Array.isArray(deviceOutputs) && sessionOptions.preferredOutputLocation) {
      const unknown = deviceOutputs.filter((name) => !session.outputNames.includes(name));
      if (unknown.length > 0) {
        await session.release();
        throw new RangeError(`deviceOutputs: '${unknown.join("', '")}' ${unknown.length > 1 ? 'are not outputs' : 'is not an output'} ` +
          `of the model; its outputs are ${session.outputNames.map((n) => `'${n}'`).join(', ')}`);
      }
    }
    return session;
  }

  /**
   * Values of a tensor on the CPU, wherever it lives. A 'gpu-buffer' tensor is copied back (in Node through a
   * read-back session, since getData() there aborts the process); the tensor itself stays valid. `T` names
   * the typed array the caller expects from the tensor's type (`read<Float32Array>(t)`).
   */
  async read<T extends TensorValues = TensorValues>(tensor: Tensor): Promise<T> {
    if (tensor.location === 'cpu' || tensor.location === 'cpu-pinned') return tensor.data as T;
    if (tensor.size === 0) return new this.backend.ort.Tensor(tensor.type, [] as unknown as Float32Array, [0]).data as T;
    if (this.backend.canDownload) return (await tensor.getData()) as T;
    if (tensor.location !== 'gpu-buffer') {
      throw new RangeError(`read: tensors at location '${tensor.location}' cannot be read on ${this.backend.platform}`);
    }
    if (this.report.used !== 'webgpu') {
      // A read-back session on another provider cannot take a WebGPU buffer; asking may crash onnxruntime.
      throw new RangeError(`read: a 'gpu-buffer' tensor can only be read by a runtime on 'webgpu'; this one runs on '${this.report.used}'`);
    }
    return (await this.deviceReader.read(tensor)) as T;
  }

  /** Releases the sessions the runtime keeps for itself (read-back). Sessions it created are the caller's. */
  async release(): Promise<void> {
    await this.deviceReader.release();
  }
}
