import { ModelProto, encodeModel } from '@ortrain/graph-builder';
import { Optimizer, Parameter } from '@ortrain/optimizers';
import { Optimizable, Wrapper } from '@ortrain/wrappers';
import { ExecutionProvider, OrtModule, Runtime, RuntimeSession } from '@ortrain/runtime';
import type { Tensor } from 'onnxruntime-common';
import type { LossSpec } from '../losses';
import type { TrainableChoice } from '../autodiff';
import { readArtifacts } from './read-artifacts';
import { readFileNamed, writeFileAtomic } from '../checkpoint/file';
import { CheckpointLock } from '../checkpoint/lock';
import { nodePath } from '../checkpoint/node-modules';
import { checkpointParts, decodeCheckpoint, encodeCheckpoint } from '../checkpoint/format';
import { Batch, checkBatch } from './batch';
import { withInitializers } from './export';
import { loadModel } from './model-source';
import { FusedStep, OptimizerBridge } from './optimizer-bridge';
import { SessionState, checkpointContent, readSessionState } from './session-state';
import { buildStepModel, stepNames } from './step-graph';
import { defaultIntraOpThreads } from './threads';
import { SessionModels, Trainable, gradName } from './training-graphs';
import { DropoutMasks } from './dropout-masks';
import { checkBatchStatistics } from './train-mode';
import { Divergence, DivergenceOptions, DivergenceWatch } from './divergence';
import { SessionMode, modelsInMode } from './mode-models';

/** The largest checkpoint whose read buffer a session keeps for its next load (see readCheckpointFile). */
const LOAD_BUFFER_MAX = 256 * 1024 * 1024;

/**
 * Builds the optimizer over the session's trainable parameters (torch's `lambda params: Adam(params, ...)`):
 * an optimizer of @ortrain/optimizers, or wrappers of @ortrain/wrappers over one (`new SAM(ps, Adam, {...})`).
 */
export type OptimizerFactory = (params: Parameter[]) => Optimizable;

/** How the session runs: shared by `create` and `fromArtifacts`. */
export interface RunOptions {
  /** Execution providers in order of preference (default ['cpu']); the first that starts is used. */
  executionProviders?: ExecutionProvider[];
  /** The onnxruntime module (default onnxruntime-node). */
  ort?: OrtModule;
  /** A runtime to share with other sessions (instead of executionProviders and ort). */
  runtime?: Runtime;
  /** Batches whose gradients are averaged into one update (default 1). */
  gradientAccumulationSteps?: number;
  /** Clip the gradient to this global L2 norm before the update, as torch.nn.utils.clip_grad_norm_. */
  maxGradNorm?: number;
  /**
   * What a NaN or infinite loss (or, with maxGradNorm, gradient norm) does: 'throw' (default) or 'skip' the
   * step, counted in `skippedSteps`. Either way nothing is updated. When given, each update also checks that
   * no parameter became NaN or infinite (one reduction per parameter group, in the same run).
   */
  nonFinite?: 'throw' | 'skip';
  /**
   * Threads one operator may use on the CPU provider; 0 is onnxruntime's default (one per core). Default: 1 on
   * machines of at most 2 logical cores, where a pool competes with everything else (see threads.ts), else 0.
   */
  intraOpNumThreads?: number;
}

export interface TrainingSessionOptions extends RunOptions {
  /** The forward model: a path to an .onnx file, or its bytes. */
  model: string | Uint8Array;
  /**
   * Tensors to train (initializers and float Constants): names, a RegExp, or a predicate; default the weights
   * and biases of parameterised ops (see describeTrainable); the rest are frozen.
   */
  trainable?: Trainable;
  /** The loss: a name ('cross_entropy', 'mse', 'l1', 'bce_with_logits') or `{ kind, ...options }`. */
  loss: LossSpec;
  /** The value the loss applies to: any value of the graph (default the loss's `output`, else the first output). */
  output?: string;
  /** The optimizer over the trainable parameters; without it the session computes lossAndGradients and evalStep only. */
  optimizer?: OptimizerFactory;
  /**
   * The mode of trainStep and lossAndGradients, as torch's module.train() / .eval() (default 'train'):
   * in 'train' BatchNormalization normalises with the batch's statistics and updates its running ones, and
   * Dropout drops. evalStep runs in 'eval' mode (the running statistics, no dropping) unless asked for 'train'.
   */
  mode?: SessionMode;
  /** Seed of the generator of Dropout masks in 'train' mode (default 0); checkpoints save its state. */
  seed?: number;
  /**
   * Called when the training loss grows by orders of magnitude (`divergence.factor`, default 1000) within
   * `divergence.window` steps (default 50): usually an lr too large. The step itself goes on.
   */
  onDivergence?: (d: Divergence) => void;
  divergence?: DivergenceOptions;
}

export interface StepResult {
  /** The batch's loss (of a skipped step: the non-finite loss, or the loss whose gradient norm was not finite). */
  loss: number;
  /** True when this batch ended an accumulation cycle and the parameters were updated. */
  updated: boolean;
  /** True when the step was skipped for a non-finite loss (nonFinite: 'skip'). */
  skipped: boolean;
  /** Global norm of the applied gradient before clipping, when maxGradNorm is set and the step updated. */
  gradNorm?: number;
  /** Squared global norm of the applied gradient before clipping, when the step asked for it and updated. */
  gradNorm2?: number;
}

/** What one training step should report besides the loss. */
export interface TrainStepOptions {
  /**
   * Also compute the squared L2 norm of the applied gradient (RadaDamp reads it): one reduction per gradient
   * in the step's graph. The first step that asks builds that graph, which then serves every later step.
   */
  gradNorm2?: boolean;
}

/** A pluggable sampler whose random state checkpoints save and restore. */
export interface StatefulSampler {
  stateDict(): unknown;
  loadStateDict(state: unknown): void;
}

interface Parts {
  models: SessionModels;
  /** The forward model the trained weights are exported into. */
  forward: ModelProto;
  runtime: Runtime;
  ownsRuntime: boolean;
  params: Parameter[];
  /** Undefined for a session made without an optimizer (gradients and evaluation only). */
  optimizer?: Optimizable;
  accumulation: number;
  maxGradNorm?: number;
  nonFinite: 'throw' | 'skip';
  /** nonFinite was given: each update also checks that no parameter became NaN or infinite. */
  checkParameters?: boolean;
  intraOpNumThreads?: number;
}

/**
 * Trains an ONNX model on stock onnxruntime. Each `trainStep` is one `session.run` of one graph: forward,
 * loss, backward and the optimizer's update, with the parameters and optimizer state of the previous step
 * fed back (left on the device with WebGPU). The optimizer keeps its own face: edit `paramGroups` (lr),
 * call schedulers, read `stateDict()`, register hooks; a training step is one optimizer step.
 */
export class TrainingSession {
  readonly runtime: Runtime;
  /** Trainable parameter names, in the model's order. */
  readonly parameterNames: readonly string[];
  /** Training steps run (batches), skipped ones excluded. */
  step = 0;
  /** Steps skipped for a non-finite loss or gradient norm (nonFinite: 'skip'). */
  skippedSteps = 0;
  /** Any random state of the caller's (a seed, a generator's state): saved in checkpoints and restored. */
  rngState: unknown = undefined;
  /** A sampler whose state checkpoints save and restore. */
  sampler: StatefulSampler | undefined = undefined;

  private readonly bridge: OptimizerBridge;
  private readonly sessions = new Map<string, Promise<RuntimeSession>>();
  /**
   * The update step's session and the optimizer's part of its graph (rebuilt when the update's form changes),
   * by whether the step ends with a sync of slow weights (Lookahead, Scout: a graph of its own), and whether
   * it outputs the squared gradient norm.
   */
  private readonly updates = new Map<boolean, { session: RuntimeSession; fused: FusedStep; gradNorm2: boolean }>();
  /** Batches accumulated in the current cycle. */
  private microStep = 0;
  private accumulators: Map<string, Tensor> | undefined;
  private readonly zeros: Map<string, Tensor> | undefined;
  private busy = false;
  private trainMode: SessionMode = 'eval';
  /** Current running statistics of BatchNormalization in 'train' mode, by initializer name. */
  private readonly stats = new Map<string, Float32Array>();
  private readonly dropout = new DropoutMasks(0);
  private divergence: { watch: DivergenceWatch; report: (d: Divergence) => void } | undefined;
  /** Checkpoint paths this session writes, each claimed by a lock file. */
  private readonly locks = new Map<string, CheckpointLock>();
  private readonly lockToken = Math.random().toString(36).slice(2);
  /** Parameters live on the device (WebGPU): the update graph slices them from the group buffers there. */
  private readonly sliceParams: boolean;

  private constructor(private readonly parts: Parts) {
    this.runtime = parts.runtime;
    this.parameterNames = parts.models.params.map((p) => p.name);
    this.bridge = new OptimizerBridge(parts.optimizer, parts.params, parts.runtime);
    this.sliceParams = parts.runtime.provider === 'webgpu';
    for (const s of parts.models.stats ?? []) this.stats.set(s.name, Float32Array.from(s.initial));
    if (parts.accumulation > 1) {
      const T = parts.runtime.Tensor;
      this.zeros = new Map(parts.models.params.map((p) => [p.name, new T('float32', new Float32Array(p.initial.length), p.dims)]));
    }
  }

  /** The optimizer the factory built; its parameters are the session's trainable tensors. */
  get optimizer(): Optimizable {
    if (!this.parts.optimizer) throw new Error(NO_OPTIMIZER);
    return this.parts.optimizer;
  }

  /**
   * For every initializer and float Constant of the model: whether it trains and why (a weight slot, named
   * in `trainable`, an exporter constant, not reaching the loss, ...). Empty for a session from artifacts.
   */
  describeTrainable(): TrainableChoice[] {
    return (this.parts.models.choices ?? []).map((c) => ({ ...c, dims: [...c.dims] }));
  }

  /** A session for a forward model: builds its gradient graph, the loss and the optimizer. */
  static async create(options: TrainingSessionOptions): Promise<TrainingSession> {
    if (!options || typeof options !== 'object') throw new TypeError(`TrainingSession.create: expected an options object, got ${String(options)}`);
    const run = checkRunOptions(options);
    if (options.optimizer !== undefined && typeof options.optimizer !== 'function') {
      throw new RangeError(`optimizer: expected a function (params) => optimizer, got ${typeof options.optimizer}`);
    }
    if (options.loss === undefined) throw new RangeError(`loss: required ('cross_entropy', 'mse', 'l1', 'bce_with_logits' or { kind, ... })`);
    const mode = options.mode ?? 'train';
    if (mode !== 'train' && mode !== 'eval') throw new RangeError(`mode: must be 'train' or 'eval', got ${JSON.stringify(mode)}`);
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed: must be an integer in [0, 2^32), got ${String(seed)}`);
    const { proto } = await loadModel(options.model);
    const models = modelsInMode(proto, mode, options.trainable, options.loss, options.output);
    const session = await TrainingSession.assemble(models, proto, run, options.optimizer, undefined);
    session.trainMode = mode;
    if (options.onDivergence !== undefined) {
      if (typeof options.onDivergence !== 'function') throw new RangeError(`onDivergence: expected a function, got ${describe(options.onDivergence)}`);
      session.divergence = { watch: new DivergenceWatch(options.divergence), report: options.onDivergence };
    }
    session.dropout.state = seed;
    return session;
  }

  /**
   * A session from the artifacts that `generateArtifacts` wrote into `dir` (training_model.onnx,
   * eval_model.onnx, optimizer_model.onnx, checkpoint): it trains the training model's parameters from the
   * checkpoint's values with the checkpoint's optimizer (algorithm, parameter groups, state), unless
   * `optimizer` gives another.
   */
  static async fromArtifacts(dir: string, options: RunOptions & { optimizer?: OptimizerFactory } = {}): Promise<TrainingSession> {
    const run = checkRunOptions(options);
    const read = await readArtifacts(dir);
    const session = await TrainingSession.assemble(read.models, read.forward, run, options.optimizer ?? read.factory, read.state.params);
    // A checkpoint's optimizer state only fits the optimizer it was saved with.
    if (!options.optimizer) await session.restore(read.state, `artifacts in '${dir}'`);
    return session;
  }

  /** Builds the session from its models (shared by create and fromArtifacts). */
  private static async assemble(models: SessionModels, forward: ModelProto, run: ReturnType<typeof checkRunOptions>, factory: OptimizerFactory | undefined,
    initial: Map<string, Float32Array> | undefined): Promise<TrainingSession> {
    const params = models.params.map((p) => new Parameter(p.name, Float32Array.from(initial?.get(p.name) ?? p.initial), p.dims));
    const optimizer = factory?.(params);
    if (factory && !(optimizer instanceof Optimizer) && !(optimizer instanceof Wrapper)) {
      throw new TypeError(`optimizer: the factory must return an optimizer of @ortrain/optimizers or a wrapper of @ortrain/wrappers, got ${describe(optimizer)}`);
    }
    const runtime = run.runtime ?? (await Runtime.create({ executionProviders: run.executionProviders, ort: run.ort }));
    return new TrainingSession({
      models, forward, runtime, ownsRuntime: !run.runtime, params, optimizer,
      accumulation: run.gradientAccumulationSteps, maxGradNorm: run.maxGradNorm, nonFinite: run.nonFinite, checkParameters: run.nonFiniteGiven,
      intraOpNumThreads: run.intraOpNumThreads ?? defaultIntraOpThreads(),
    });
  }

  /** The mode of trainStep and lossAndGradients ('train' unless created with mode: 'eval'); evalStep runs in 'eval'. */
  get mode(): SessionMode {
    return this.trainMode;
  }

  /** The running statistics of the model's BatchNormalization nodes (updated by training steps in 'train' mode). */
  runningStatistics(): Map<string, Float32Array> {
    return new Map([...this.stats].map(([n, v]) => [n, Float32Array.from(v)]));
  }

  /** The models the session is made of (training, eval) and what batches must look like. */
  get models(): SessionModels {
    return this.parts.models;
  }

  /** Gradient accumulation: batches per update, and batches already accumulated in the current cycle. */
  get accumulation(): { steps: number; pending: number } {
    return { steps: this.parts.accumulation, pending: this.microStep };
  }

  /**
   * One training step on a batch: one run of forward, loss, backward and (at the end of an accumulation
   * cycle) the optimizer's update. A bad batch or a non-finite loss changes nothing.
   */
  async trainStep(batch: Batch, options: TrainStepOptions = {}): Promise<StepResult> {
    if (!this.parts.optimizer) throw new Error(`trainStep: ${NO_OPTIMIZER}`);
    return this.exclusive('trainStep', async () => {
      this.check(batch, 'trainStep');
      const k = this.parts.accumulation;
      const result = k > 1 && this.microStep < k - 1 ? await this.accumulateStep(batch) : await this.updateStep(batch, options.gradNorm2 === true);
      const diverged = result.skipped ? undefined : this.divergence?.watch.record(this.step, result.loss);
      if (diverged) this.divergence!.report(diverged);
      return result;
    });
  }

  private async accumulateStep(batch: Batch): Promise<StepResult> {
    const session = await this.session('accumulate', () => buildStepModel(this.models,
      { accumulation: this.parts.accumulation, kind: 'accumulate' }, this.bridge).model);
    const feeds = { ...(await this.baseFeeds(batch, true)), ...this.accumulatorFeeds(), ...this.bridge.extraFeeds(this.runtime) };
    const out = await this.withMasks(batch, feeds, () => run(session, feeds, 'trainStep'));
    this.checkLabelShape(out, batch, 'trainStep');
    const loss = lossValue(out);
    const bad = nonFiniteOf(out) ?? this.nonFiniteStat(out);
    if (bad) return this.nonFinite(bad, out, session);
    this.commitStats(out);
    const next = new Map(this.models.params.map((p) => [p.name, out[stepNames.accumulated(p.name)]]));
    this.replaceAccumulators(next);
    this.microStep++;
    this.step++;
    return { loss, updated: false, skipped: false };
  }

  private async updateStep(batch: Batch, gradNorm2: boolean): Promise<StepResult> {
    const { session, fused } = await this.updateSession(gradNorm2);
    const base = { ...(await this.baseFeeds(batch, false)), ...this.accumulatorFeeds() };
    let out: Record<string, Tensor>;
    const rng = this.dropout.state;
    try {
      Object.assign(base, this.maskFeeds(batch));
      // One optimizer step: hooks, the update's feeds, this one run, the commit of parameters and state.
      out = await this.bridge.stepFused(fused, async (feeds) => {
        const params = this.sliceParams ? {} : this.bridge.paramViews(this.runtime.Tensor);
        const results = await run(session, { ...base, ...feeds, ...params }, 'trainStep');
        this.checkLabelShape(results, batch, 'trainStep');
        const bad = nonFiniteOf(results) ?? this.nonFiniteStat(results);
        if (bad) throw new NonFiniteLoss(bad, results, session);
        return results;
      });
    } catch (e) {
      if (e instanceof NonFiniteLoss) return this.nonFinite(e.what, e.results, e.session);
      this.dropout.state = rng;
      if (!fused.updates.every((u) => u.upToDate())) {
        // The graph was built for the optimizer's form before the step's pre-hooks ran.
        throw new Error(`trainStep: a step pre-hook changed an option that changes the update's form (${e instanceof Error ? e.message : String(e)}); ` +
          'nothing was updated. Change such options between steps; the next step builds the graph they need', { cause: e });
      }
      throw e;
    }
    this.commitStats(out);
    this.step++;
    this.microStep = 0;
    this.disposeAccumulators();
    const gradNorm = out[stepNames.gradNorm] ? Number((out[stepNames.gradNorm].data as Float32Array)[0]) : undefined;
    const norm2 = gradNorm2 ? Number((out[stepNames.gradNorm2].data as Float32Array)[0]) : undefined;
    return { loss: lossValue(out), updated: true, skipped: false, ...(gradNorm !== undefined ? { gradNorm } : {}), ...(norm2 !== undefined ? { gradNorm2: norm2 } : {}) };
  }

  /** The loss and the outputs of the forward model on a batch, with the current parameters. */
  async evalStep(batch: Batch, options: { mode?: SessionMode } = {}): Promise<{ loss: number; outputs: Record<string, Tensor> }> {
    return this.exclusive('evalStep', async () => {
      const mode = options?.mode ?? 'eval';
      if (mode !== 'train' && mode !== 'eval') throw new RangeError(`evalStep: mode must be 'train' or 'eval', got ${JSON.stringify(mode)}`);
      if (mode === 'train' && this.trainMode !== 'train') throw new RangeError("evalStep: mode 'train' needs a session created in mode 'train'");
      // Training mode (batch statistics, masks) keeps the running statistics: evaluation updates nothing.
      const trainForm = mode === 'train' ? this.models.trainModeEval : undefined;
      this.check(batch, trainForm ? 'evalStep in train mode' : 'evalStep');
      const session = await this.session(trainForm ? 'eval-train' : 'eval', () => trainForm ?? this.models.eval);
      const feeds = await this.baseFeeds(batch, true);
      const out = trainForm ? await this.withMasks(batch, feeds, () => run(session, feeds, 'evalStep')) : await run(session, feeds, 'evalStep');
      this.checkLabelShape(out, batch, 'evalStep');
      const outputs: Record<string, Tensor> = {};
      for (const n of this.models.outputNames) outputs[n] = out[n];
      return { loss: lossValue(out, this.models.lossName), outputs };
    });
  }

  /** The loss and the gradient of every trainable parameter on a batch; nothing is updated. */
  async lossAndGradients(batch: Batch): Promise<{ loss: number; gradients: Map<string, Float32Array> }> {
    return this.exclusive('lossAndGradients', async () => {
      this.check(batch, 'lossAndGradients');
      const session = await this.session('gradients', () => this.models.training);
      const feeds = await this.baseFeeds(batch, true);
      // Training mode computes with the batch's statistics but keeps the running ones: nothing is updated.
      const out = await this.withMasks(batch, feeds, () => run(session, feeds, 'lossAndGradients'));
      this.checkLabelShape(out, batch, 'lossAndGradients');
      const gradients = new Map<string, Float32Array>();
      for (const p of this.models.params) gradients.set(p.name, out[gradName(p.name)].data as Float32Array);
      return { loss: lossValue(out, this.models.lossName), gradients };
    });
  }

  /** Current values of the trainable parameters (host copies). */
  async parameters(): Promise<Map<string, Float32Array>> {
    return this.bridge.hostParams();
  }

  /** The forward model with the trained weights, as ONNX bytes that plain onnxruntime loads. */
  async exportModel(): Promise<Uint8Array> {
    return this.exclusive('exportModel', async () => {
      const values = await this.bridge.hostParams();
      const dims = new Map([...this.models.params, ...(this.models.stats ?? [])].map((p) => [p.name, p.dims]));
      for (const [n, v] of this.stats) values.set(n, v);
      return encodeModel(withInitializers(this.parts.forward, new Map([...values].map(([n, data]) => [n, { data, dims: dims.get(n)! }]))));
    });
  }

  /**
   * Saves parameters, optimizer state, step counters, pending gradient accumulation and the caller's random
   * state (`rngState`, `sampler`) to `file`, atomically: a failed save leaves the previous file as it was.
   */
  async saveCheckpoint(file: string): Promise<void> {
    if (typeof file !== 'string' || file === '') throw new TypeError(`saveCheckpoint: expected a file path, got ${describe(file)}`);
    await this.exclusive('saveCheckpoint', async () => {
      // The path stays this session's until release(): a second writer fails instead of taking turns.
      const key = nodePath('saveCheckpoint').resolve(file);
      if (!this.locks.has(key)) this.locks.set(key, await CheckpointLock.acquire(file, this.lockToken));
      // Written piece by piece from the arrays themselves: no copy of the payload into one buffer.
      await writeFileAtomic(file, checkpointParts(await this.currentState()));
    });
  }

  /** The checkpoint as bytes (what saveCheckpoint writes), for browsers and other storage. */
  async checkpointBytes(): Promise<Uint8Array> {
    return this.exclusive('checkpointBytes', async () => encodeCheckpoint(await this.currentState()));
  }

  /**
   * The session's state as checkpoint content. The parameters are the optimizer's own arrays, not copies:
   * the content must be encoded or written before the session's next step (the callers hold it exclusively).
   */
  private async currentState(): Promise<ReturnType<typeof checkpointContent>> {
    await this.optimizer.sync();
    const accumulators = new Map<string, Float32Array>();
    if (this.accumulators) {
      for (const [n, t] of this.accumulators) accumulators.set(n, Float32Array.from(await this.runtime.read<Float32Array>(t)));
    }
    const state: SessionState = {
      params: await this.bridge.currentParams(),
      optimizer: { algorithm: this.bridge.algorithm, config: this.bridge.config, stateDict: this.optimizer.stateDict({ views: true }) },
      counters: { step: this.step, skippedSteps: this.skippedSteps, microStep: this.microStep },
      accumulators,
      stats: new Map(this.stats),
      dropoutState: this.dropout.state,
      rngState: this.rngState,
      sampler: this.sampler?.stateDict(),
    };
    return checkpointContent(state);
  }

  /**
   * Restores a checkpoint (a file, or bytes from checkpointBytes) saved by a session of the same model and
   * optimizer. Everything is checked first: a missing, corrupt or mismatched checkpoint changes nothing.
   */
  async loadCheckpoint(file: string | Uint8Array): Promise<void> {
    await this.exclusive('loadCheckpoint', async () => {
      const fromFile = typeof file === 'string';
      if (!fromFile && !(file instanceof Uint8Array)) throw new TypeError(`loadCheckpoint: expected a file path or bytes, got ${describe(file)}`);
      const bytes = fromFile ? await this.readCheckpointFile(file) : file;
      const source = fromFile ? `checkpoint '${file}'` : 'checkpoint bytes';
      // The bytes of a file are ours alone, so its tensors can stay views of them; restoring copies them.
      const content = decodeCheckpoint(bytes, source, { views: fromFile });
      await this.restore(readSessionState(content, source, this.models.params, this.bridge.algorithm, this.models.stats), source);
    });
  }

  /**
   * A checkpoint file's bytes, read into a buffer the session keeps between loads (up to LOAD_BUFFER_MAX
   * bytes). A fresh 30 MB array is new memory from the system on every load while V8 has not yet collected
   * the last one, and faulting it in took 3-4 times the rest of a mobilenet load (loads of 30 ms or of
   * 150 ms, depending on the collector). Nothing keeps a view of these bytes after a load: `restore` copies.
   */
  private async readCheckpointFile(file: string): Promise<Uint8Array> {
    // With a buffer given, even an empty one, the bytes land in memory of our own (never a pooled Buffer).
    const bytes = await readFileNamed(file, 'checkpoint', this.loadBuffer ?? new Uint8Array(0));
    if (bytes.buffer !== this.loadBuffer?.buffer && bytes.byteLength <= LOAD_BUFFER_MAX) this.loadBuffer = bytes;
    return bytes;
  }

  private loadBuffer: Uint8Array | undefined;

  /** Applies a checked session state; it keeps no view of `state`'s arrays (they may be a reused buffer's). */
  private async restore(state: SessionState, source: string): Promise<void> {
    const k = this.parts.accumulation;
    if (state.counters.microStep >= k) {
      throw new RangeError(`${source}: ${state.counters.microStep} batches are accumulated, but this session updates every ${k}`);
    }
    // The caller's sampler first: if it refuses its state, nothing of the session has changed yet.
    if (this.sampler && state.sampler !== undefined) this.sampler.loadStateDict(structuredClone(state.sampler));
    // The optimizer checks its whole state dict before changing anything.
    (this.optimizer.loadStateDict as (dict: unknown) => void)(state.optimizer.stateDict);
    await this.bridge.setParams(state.params);
    this.step = state.counters.step;
    this.skippedSteps = state.counters.skippedSteps;
    this.disposeAccumulators();
    this.microStep = state.counters.microStep;
    if (this.microStep > 0) {
      const T = this.runtime.Tensor;
      this.accumulators = new Map(this.models.params.map((p) => [p.name, new T('float32', Float32Array.from(state.accumulators.get(p.name)!), p.dims)]));
    }
    for (const [n, v] of state.stats ?? []) this.stats.set(n, Float32Array.from(v));
    if (state.dropoutState !== undefined) this.dropout.state = state.dropoutState;
    this.rngState = structuredClone(state.rngState);
  }

  /** Releases the onnxruntime sessions (and the runtime when the session created it). */
  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const u of this.updates.values()) await u.session.release();
    this.updates.clear();
    for (const s of all) await (await s.catch(() => undefined))?.release();
    await this.parts.optimizer?.release();
    this.disposeAccumulators();
    for (const lock of this.locks.values()) await lock.release();
    this.locks.clear();
    if (this.parts.ownsRuntime) await this.runtime.release();
  }

  // ---- internals ----

  /**
   * Labels against the prediction's shape of this run, when its rank was unknown when the graph was built
   * (ONNX broadcasting would otherwise pair [N, 1] labels with an [N, 2] prediction silently).
   */
  private checkLabelShape(out: Record<string, Tensor>, batch: Batch, what: string): void {
    const p = this.models.predictionShape;
    if (!p) return;
    const dims = Array.from(out[p.name].data as BigInt64Array, Number);
    const axis = p.dropAxis === undefined ? undefined : p.dropAxis < 0 ? p.dropAxis + dims.length : p.dropAxis;
    const want = axis === undefined ? dims : dims.filter((_, i) => i !== axis);
    const got = batch.labels.dims;
    if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
      throw new RangeError(`${what}: labels of shape [${got.join(', ')}] do not fit the prediction '${p.value}' of shape [${dims.join(', ')}] ` +
        `(known only at run time): they must be [${want.join(', ')}]; nothing was updated`);
    }
  }

  private check(batch: Batch, what: string): void {
    checkBatch(batch, this.models.inputs, this.models.labels, what);
    if (what !== 'evalStep' && this.models.stats) checkBatchStatistics(this.models.stats, this.models.inputs, batch.inputs, what);
  }

  private async exclusive<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.busy) throw new Error(`${what}: the session is busy with another call; await it first`);
    this.busy = true;
    try {
      return await fn();
    } finally {
      this.busy = false;
    }
  }

  /** Model inputs and labels, and with `params` the parameters as inputs of their own. */
  private async baseFeeds(batch: Batch, params: boolean): Promise<Record<string, Tensor>> {
    const feeds: Record<string, Tensor> = { ...batch.inputs, [this.models.labels.name]: batch.labels };
    if (params) {
      // On the CPU these wrap the optimizer's buffers (no copy); device values are read back once per update.
      const T = this.runtime.Tensor;
      const values = await this.bridge.currentParams();
      for (const p of this.models.params) feeds[p.name] = new T('float32', values.get(p.name)!, p.dims);
    }
    for (const s of this.models.stats ?? []) feeds[s.name] = new this.runtime.Tensor('float32', this.stats.get(s.name)!, s.dims);
    return feeds;
  }

  /** The Dropout masks of a training-mode step, drawn from the session's generator. */
  private maskFeeds(batch: Batch): Record<string, Tensor> {
    const masks = this.models.masks ?? [];
    return masks.length ? this.dropout.draw(masks, this.models.inputs, batch.inputs, this.runtime.Tensor) : {};
  }

  /** Runs with this step's masks; a run that throws leaves the generator where it was. */
  private async withMasks(batch: Batch, feeds: Record<string, Tensor>, fn: () => Promise<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    const rng = this.dropout.state;
    try {
      Object.assign(feeds, this.maskFeeds(batch));
      return await fn();
    } catch (e) {
      this.dropout.state = rng;
      throw e;
    }
  }

  /** A running statistic the step made NaN or infinite (a batch with one value per channel): nothing is committed. */
  private nonFiniteStat(out: Record<string, Tensor>): { name: string; value: number } | undefined {
    for (const s of this.models.stats ?? []) {
      const v = out[s.next].data as Float32Array;
      for (let i = 0; i < v.length; i++) {
        if (!Number.isFinite(v[i])) return { name: `running statistic '${s.name}' of BatchNormalization node '${s.node}' (one value per channel in this batch?)`, value: v[i] };
      }
    }
    return undefined;
  }

  /** Takes the running statistics a successful training-mode step computed. */
  private commitStats(out: Record<string, Tensor>): void {
    for (const s of this.models.stats ?? []) this.stats.set(s.name, Float32Array.from(out[s.next].data as Float32Array));
  }

  private accumulatorFeeds(): Record<string, Tensor> {
    if (this.parts.accumulation === 1) return {};
    const current = this.accumulators ?? this.zeros!;
    return Object.fromEntries(this.models.params.map((p) => [stepNames.accumulator(p.name), current.get(p.name)!]));
  }

  private replaceAccumulators(next: Map<string, Tensor>): void {
    this.disposeAccumulators();
    this.accumulators = next;
  }

  private disposeAccumulators(): void {
    if (this.accumulators) for (const t of this.accumulators.values()) if (t.location === 'gpu-buffer') t.dispose();
    this.accumulators = undefined;
  }

  /** A non-finite loss or gradient: drops the run's outputs, then counts the skip or throws. Nothing was updated. */
  private nonFinite(what: { name: string; value: number }, out: Record<string, Tensor>, session: RuntimeSession): StepResult {
    for (const n of session.deviceOutputs) out[n]?.dispose();
    if (this.parts.nonFinite === 'skip') {
      this.skippedSteps++;
      return { loss: lossValue(out), updated: false, skipped: true };
    }
    throw new RangeError(`trainStep: the ${what.name} is ${what.value} at step ${this.step + 1}; nothing was updated (set nonFinite: 'skip' to skip such steps)`);
  }

  /**
   * The update step's session, rebuilt when the optimizer's update needs a graph of another form. With
   * Lookahead or Scout, a step that ends with a sync runs a graph of its own (the sync appended), so every
   * step stays one run and the other steps carry none of the sync's nodes.
   */
  private async updateSession(gradNorm2: boolean): Promise<{ session: RuntimeSession; fused: FusedStep }> {
    const sync = this.bridge.syncDue;
    const current = this.updates.get(sync);
    if (current && current.fused.updates.every((u) => u.upToDate()) && (current.gradNorm2 || !gradNorm2)) return current;
    // Once asked for, the squared norm stays in the graph: a loop that asks at every step never rebuilds.
    const norm2 = gradNorm2 || (current?.gradNorm2 ?? false);
    const { model, fused } = buildStepModel(this.models,
      { accumulation: this.parts.accumulation, maxGradNorm: this.parts.maxGradNorm, gradNorm2: norm2, kind: 'update', sliceParams: this.sliceParams, sync,
        checkParameters: this.parts.checkParameters }, this.bridge);
    // What the next step reads stays on the device; the loss and the norm come back to the host.
    const session = await this.runtime.createSession(encodeModel(model), { deviceOutputs: fused!.outputNames, intraOpNumThreads: this.parts.intraOpNumThreads });
    if (current) await current.session.release();
    const update = { session, fused: fused!, gradNorm2: norm2 };
    this.updates.set(sync, update);
    return update;
  }

  /** A session of a model, made once per key; on WebGPU parameters come sliced from the group buffers. */
  private session(key: string, model: () => ModelProto): Promise<RuntimeSession> {
    let s = this.sessions.get(key);
    if (!s) {
      const proto = model();
      // Gradient accumulators stay on the device; what the caller reads comes back to the host.
      const deviceOutputs = key === 'accumulate' ? this.models.params.map((p) => stepNames.accumulated(p.name)) : [];
      s = this.runtime.createSession(encodeModel(proto), { deviceOutputs, intraOpNumThreads: this.parts.intraOpNumThreads });
      s.catch(() => this.sessions.delete(key));
      this.sessions.set(key, s);
    }
    return s;
  }
}

const NO_OPTIMIZER = 'this session was created without an optimizer: it computes lossAndGradients and evalStep only ' +
  '(give TrainingSession.create an optimizer, e.g. optimizer: (params) => new SGD(params, { lr: 0.01 }), to train)';

/** Checks the options shared by create and fromArtifacts; a bad one is a RangeError naming it and its value. */
export function checkRunOptions(o: RunOptions): Required<Pick<RunOptions, 'gradientAccumulationSteps' | 'nonFinite'>> & RunOptions & { nonFiniteGiven: boolean } {
  const k = o.gradientAccumulationSteps ?? 1;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`gradientAccumulationSteps: must be an integer >= 1, got ${String(k)}`);
  if (o.maxGradNorm !== undefined && (typeof o.maxGradNorm !== 'number' || !(o.maxGradNorm > 0) || !Number.isFinite(o.maxGradNorm))) {
    throw new RangeError(`maxGradNorm: must be a finite number > 0, got ${String(o.maxGradNorm)}`);
  }
  const t = o.intraOpNumThreads;
  if (t !== undefined && !(Number.isInteger(t) && t >= 0)) throw new RangeError(`intraOpNumThreads: must be a whole number >= 0, got ${String(t)}`);
  const nonFinite = o.nonFinite ?? 'throw';
  if (nonFinite !== 'throw' && nonFinite !== 'skip') throw new RangeError(`nonFinite: must be 'throw' or 'skip', got ${JSON.stringify(nonFinite)}`);
  return { ...o, gradientAccumulationSteps: k, nonFinite, nonFiniteGiven: o.nonFinite !== undefined };
}

function lossValue(out: Record<string, Tensor>, name = stepNames.loss): number {
  return Number((out[name].data as Float32Array)[0]);
}

/** The loss, or with clipping the gradient norm, when it is NaN or infinite. */
function nonFiniteOf(out: Record<string, Tensor>): { name: string; value: number } | undefined {
  const loss = lossValue(out);
  if (!Number.isFinite(loss)) return { name: 'loss', value: loss };
  if (out[stepNames.perturbedLoss]) {
    const perturbed = lossValue(out, stepNames.perturbedLoss);
    if (!Number.isFinite(perturbed)) return { name: 'loss at the perturbed point (SAM)', value: perturbed };
  }
  const norm = out[stepNames.gradNorm];
  const value = norm ? Number((norm.data as Float32Array)[0]) : 0;
  if (!Number.isFinite(value)) return { name: 'gradient norm', value };
  const check = out[stepNames.paramCheck];
  const sum = check ? Number((check.data as Float32Array)[0]) : 0;
  return Number.isFinite(sum) ? undefined : { name: 'sum of the updated parameters', value: sum };
}

/** Carries a non-finite loss out of the optimizer's step, which then commits nothing. */
class NonFiniteLoss extends Error {
  constructor(readonly what: { name: string; value: number }, readonly results: Record<string, Tensor>, readonly session: RuntimeSession) {
    super(`non-finite ${what.name} ${what.value}`);
  }
}

/** Runs a session on the feeds it takes; onnxruntime's errors say which call failed. */
async function run(session: RuntimeSession, feeds: Record<string, Tensor>, what: string): Promise<Record<string, Tensor>> {
  const picked: Record<string, Tensor> = {};
  for (const n of session.inputNames) {
    if (!feeds[n]) throw new Error(`internal: no feed for graph input '${n}'`);
    picked[n] = feeds[n];
  }
  try {
    return await session.run(picked);
  } catch (e) {
    throw new Error(`${what}: onnxruntime could not run the batch: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  return typeof x === 'object' ? (x as object).constructor?.name ?? 'object' : typeof x;
}
