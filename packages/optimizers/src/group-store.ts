import type { Runtime } from '@ortrain/runtime';
import type { Tensor } from 'onnxruntime-common';
import type { Algorithm } from './algorithm';
import { TensorSlot, isFlat, names } from './compile';
import { FlatGradients } from './flat-gradients';
import { GroupSessions } from './group-sessions';
import { hasHostSessions } from './host-session';
import { Parameter, ParameterOwner, describe } from './parameter';
import { initialState } from './state-spec';
import { HostStep, planStep } from './step-plan';
import type { UpdatePath } from './update-path';

export type { HostStep } from './step-plan';

/**
 * A flat float32 buffer: on the host, on the device (WebGPU), or both after a read-back (the device copy is
 * then still the one fed to the next step).
 */
interface Flat { host?: Float32Array; device?: Tensor }

/** Groups up to this many elements copy a step's new parameters into their buffer (p.data stays the same array). */
const COPY_MAX = 1 << 16;
export { CHUNK } from './update-path';

const notUndoable = (): void => {
  throw new Error('internal: a step committed as not undoable was undone');
};

/** One step of one group, run but not yet committed. */
export interface PendingStep {
  /**
   * Makes the step's results current; returns a function that undoes exactly that. With `undoable` false
   * (nothing can throw after the commit: no post-hooks) small groups skip keeping their old values, and the
   * returned function must not be called.
   */
  commit(undoable: boolean): () => void;
}

/**
 * The storage of one parameter group: parameters and each state tensor in one flat buffer (so an
 * element-wise rule updates the whole group with one chain of nodes), the step count and host state of each
 * parameter, and the group's compiled sessions. Each step's outputs become the new buffers (onnxruntime
 * writes outputs to fresh memory anyway), so a step that fails before commit leaves everything unchanged.
 */
export class GroupStore<O> implements ParameterOwner {
  readonly slots: TensorSlot[];
  readonly size: number;
  private param: Flat;
  private views: Float32Array[] = [];
  private readonly viewsOf = new WeakMap<Float32Array, Float32Array[]>();
  state: Record<string, Flat> = {};
  steps: number[];
  hosts: Record<string, number>[];
  private readonly grads: FlatGradients;
  /** @internal its compiled sessions */
  readonly sessions: GroupSessions<O>;
  /** Device tensors replaced by a committed step, disposed once the step can no longer be undone. */
  private retired: Tensor[] = [];

  constructor(readonly rule: Algorithm<O>, readonly params: readonly Parameter[], options: O, counters: { sessions: number }, private readonly path: UpdatePath) {
    this.sessions = new GroupSessions(rule, counters);
    let offset = 0;
    this.slots = params.map((p) => {
      const slot = { offset, size: p.size, shape: p.shape };
      offset += p.size;
      return slot;
    });
    this.size = offset;
    this.grads = new FlatGradients(this.slots, this.size);
    const host = new Float32Array(this.size);
    params.forEach((p, i) => host.set(p.data, this.slots[i].offset));
    this.param = { host };
    this.setViews(host);
    this.steps = params.map(() => 0);
    this.hosts = params.map(() => rule.hostState(options));
    this.ensureState(options);
  }

  private setViews(host: Float32Array): void {
    // Double-buffered steps flip between two buffers: their views are made once.
    let views = this.viewsOf.get(host);
    if (!views) this.viewsOf.set(host, (views = this.slots.map((s) => host.subarray(s.offset, s.offset + s.size))));
    this.views = views;
    this.params.forEach((p, i) => {
      p.data = this.views[i];
      p.owner = this;
    });
  }

  /** Creates the state tensors the options need that do not exist yet (a structural option changed). */
  ensureState(options: O): void {
    for (const spec of this.rule.state(options)) {
      if (this.state[spec.name]) continue;
      if (spec.init === 'param' && !this.param.host) {
        throw new Error(`${this.rule.name}: state '${spec.name}' starts from the parameters, which live on the device; await optimizer.sync() first`);
      }
      this.state[spec.name] = { host: initialState(spec, this.stateLength(spec), () => this.param.host!) };
    }
  }

  /** Elements of a state tensor: one per parameter element, or one per tensor. */
  stateLength(spec: { perTensor?: boolean }): number {
    return spec.perTensor ? this.slots.length : this.size;
  }

  /** Where parameter i's part of a state tensor is. */
  stateSlot(spec: { perTensor?: boolean }, i: number): { offset: number; size: number } {
    return spec.perTensor ? { offset: i, size: 1 } : this.slots[i];
  }

  stateNames(options: O): string[] {
    return this.rule.state(options).map((s) => s.name);
  }

  /** Host values of the group's parameters, read back from the device when they live there. */
  async hostParams(runtime: Runtime | undefined): Promise<Float32Array> {
    if (this.param.host) return this.param.host;
    const host = Float32Array.from(await runtime!.read<Float32Array>(this.param.device!));
    this.param = { host, device: this.param.device };
    this.setViews(host);
    return host;
  }

  async hostState(name: string, runtime: Runtime | undefined): Promise<Float32Array> {
    const s = this.state[name];
    if (s.host) return s.host;
    const host = Float32Array.from(await runtime!.read<Float32Array>(s.device!));
    this.state[name] = { host, device: s.device };
    return host;
  }

  /** A state tensor's host values, or undefined while it lives only on the device. */
  hostStateNow(name: string): Float32Array | undefined {
    return this.state[name]?.host;
  }

  runtime: Runtime | undefined;

  async read(p: Parameter): Promise<Float32Array> {
    const i = this.params.indexOf(p);
    await this.absorbAssignments(this.runtime);
    await this.hostParams(this.runtime);
    this.disposeRetired();
    return this.views[i];
  }

  /** True when some `p.data` was assigned a new array since the last step. */
  hasAssignments(): boolean {
    for (let i = 0; i < this.params.length; i++) if (this.params[i].data !== this.views[i]) return true;
    return false;
  }

  /** Takes in values the user assigned to `p.data` since the last step (a new array, not the view). */
  async absorbAssignments(runtime: Runtime | undefined): Promise<void> {
    const assigned: [number, Float32Array][] = [];
    this.params.forEach((p, i) => {
      if (p.data === this.views[i]) return;
      const data = p.data as unknown;
      if (!(data instanceof Float32Array) || data.length !== p.size) {
        throw new RangeError(`parameter '${p.name}': data must be a Float32Array of ${p.size} elements, got ${describe(data)}`);
      }
      assigned.push([i, data]);
    });
    if (assigned.length === 0) return;
    // Reading back from the device (if the values live there) gives every parameter a new view: the
    // assigned arrays were collected first.
    const host = await this.hostParams(runtime);
    for (const [i, data] of assigned) {
      host.set(data, this.slots[i].offset);
      this.params[i].data = this.views[i];
    }
    if (this.param.device) {
      // The host now holds the newest values: the device copy is stale.
      this.retired.push(this.param.device);
      this.param = { host };
    }
  }

  /** Replaces the host state (loadStateDict). */
  setHostState(name: string, host: Float32Array): void {
    const old = this.state[name];
    if (old?.device) this.retired.push(old.device);
    this.state[name] = { host };
  }

  /** Gives every parameter a .grad that is a view into the group's flat gradient buffer (no copy at step). */
  attachGradViews(): void {
    this.grads.attachViews(this.params);
  }

  /**
   * Chunk sizes when this step runs on a HostSession (an element-wise step of more than `chunkAbove`
   * elements on onnxruntime-node's CPU with everything on the host), else undefined. Rules with per-tensor
   * reductions (LAMB, LARS) or per-tensor state are not chunked: a chunk may cut a tensor, and its norm
   * needs all of it.
   */
  private chunksFor(runtime: Runtime, options: O, step: HostStep, stateNames: readonly string[]): number[] | undefined {
    if (this.size <= Math.max(COPY_MAX, this.path.chunkAbove) || !hasHostSessions(runtime) || !isFlat(step.plan)) return undefined;
    if (!this.rule.elementwise || this.rule.state(options).some((s) => s.perTensor)) return undefined;
    if (this.param.device || stateNames.some((n) => this.state[n].device)) return undefined;
    const chunks: number[] = [];
    const chunk = this.path.chunkSize;
    for (let at = 0; at < this.size; at += chunk) chunks.push(Math.min(chunk, this.size - at));
    return chunks;
  }

  /** The plan, scalars and session key of the next step, for the given gradients (undefined = skipped). */
  planStep(options: O, grads: readonly (Float32Array | undefined)[]): HostStep | undefined {
    return planStep(this.rule, this.slots, this.steps, this.hosts, options, (i) => !!grads[i], (this.zeroSets ??= this.params.map(() => 0)));
  }

  private zeroSets: number[] | undefined;

  /** Runs one step of the group on `grads` without changing anything; `commit()` makes it current. */
  async run(runtime: Runtime, options: O, grads: readonly (Float32Array | undefined)[]): Promise<PendingStep | undefined> {
    const step = this.planStep(options, grads);
    if (!step) return undefined;
    this.ensureState(options);
    const T = runtime.Tensor;
    const stateNames = this.stateNames(options);
    const chunks = this.chunksFor(runtime, options, step, stateNames);
    if (chunks) return this.runOnHost(runtime, options, step, stateNames, chunks, grads as Float32Array[]);
    const pendingSession = this.sessions.session(runtime, options, step, stateNames, runtime.provider === 'cpu' ? this.path.threads(this.size) : 0);
    const session = pendingSession instanceof Promise ? await pendingSession : pendingSession;
    const current = this.feedTensors(stateNames, runtime);
    const feeds: Record<string, Tensor> = { [names.param]: current.param };
    for (const n of stateNames) feeds[names.state(n)] = current.state[n];
    if (isFlat(step.plan)) {
      feeds[names.grad] = new T('float32', this.grads.gather(grads as Float32Array[]), [this.size]);
    } else {
      for (const i of step.present) feeds[names.gradOf(i)] = new T('float32', grads[i]!, [this.slots[i].size]);
    }
    step.scalars.forEach((s, k) => {
      for (const n in s.values) feeds[names.scalar(k, n)] = this.scalarTensor(runtime, names.scalar(k, n), s.values[n]);
    });
    const out = await session.run(feeds);
    return { commit: (undoable) => this.commit(out, stateNames, step, undoable) };
  }

  /**
   * A step on a HostSession: inputs are views of the current buffers, outputs are written straight into the
   * spare buffers (the ones current before the last step), and commit swaps the two, so a step allocates and
   * copies nothing, and a step that fails leaves the current buffers untouched.
   */
  private async runOnHost(runtime: Runtime, options: O, step: HostStep, stateNames: string[], chunks: number[], grads: Float32Array[]): Promise<PendingStep> {
    const pending = this.sessions.hostSession(runtime, options, step, stateNames, chunks, this.path.threads(this.size));
    const session = pending instanceof Promise ? await pending : pending;
    const T = runtime.Tensor;
    const grad = this.grads.gather(grads);
    const spare = (key: string): Float32Array => {
      let a = this.spares.get(key);
      if (!a) this.spares.set(key, (a = new Float32Array(this.size)));
      return a;
    };
    const next = { param: spare('param'), state: Object.fromEntries(stateNames.map((n) => [n, spare(n)])) };
    const feeds: Record<string, Tensor> = {};
    const fetches: Record<string, Tensor> = {};
    for (const n in step.scalars[0].values) feeds[names.scalar(0, n)] = this.scalarTensor(runtime, names.scalar(0, n), step.scalars[0].values[n]);
    let at = 0;
    chunks.forEach((size, c) => {
      const view = (a: Float32Array) => new T('float32', size === this.size ? a : a.subarray(at, at + size), [size]);
      feeds[names.chunk(c, names.param)] = view(this.param.host!);
      feeds[names.chunk(c, names.grad)] = view(grad);
      fetches[names.chunk(c, names.paramOut)] = view(next.param);
      for (const n of stateNames) {
        feeds[names.chunk(c, names.state(n))] = view(this.state[n].host!);
        fetches[names.chunk(c, names.stateOut(n))] = view(next.state[n]);
      }
      at += size;
    });
    await session.run(feeds, fetches);
    return {
      commit: (undoable) => {
        // The current buffers become the spares (the next step's outputs), and stay intact for an undo.
        const spares = new Map(this.spares);
        this.spares.set('param', this.param.host!);
        for (const n of stateNames) this.spares.set(n, this.state[n].host!);
        const tensor = (a: Float32Array) => new T('float32', a, [this.size]);
        const undo = this.commitOutputs(tensor(next.param), Object.fromEntries(stateNames.map((n) => [n, tensor(next.state[n])])), step, undoable);
        return () => {
          undo();
          this.spares = spares;
        };
      },
    };
  }

  /**
   * A float32 scalar tensor holding `value`, kept per input name and rewritten for each run (runs of a group
   * never overlap), which spares creating a tensor per scalar per step.
   */
  scalarTensor(runtime: Runtime, name: string, value: number): Tensor {
    let t = this.scalars.get(name);
    if (!t) {
      t = new runtime.Tensor('float32', new Float32Array(1), []);
      this.scalars.set(name, t);
    }
    (t.data as Float32Array)[0] = value;
    return t;
  }

  private readonly scalars = new Map<string, Tensor>();

  /** Spare host buffers of HostSession steps (their next outputs), by 'param' or state name. */
  private spares = new Map<string, Float32Array>();

  /** The current parameters and state as tensors to feed (device tensors as they are). */
  feedTensors(stateNames: readonly string[], runtime: Runtime): { param: Tensor; state: Record<string, Tensor> } {
    const T = runtime.Tensor;
    const tensor = (f: Flat) => f.device ?? new T('float32', f.host!, [f.host!.length]);
    return { param: tensor(this.param), state: Object.fromEntries(stateNames.map((n) => [n, tensor(this.state[n])])) };
  }

  /**
   * Makes a run's outputs current (also used by fused training). Returns the undo (see PendingStep.commit
   * for `undoable`).
   */
  commitOutputs(param: Tensor, state: Record<string, Tensor>, step: { steps: number[]; hosts: Record<string, number>[] }, undoable = true): () => void {
    const before = { param: this.param, views: this.views, state: { ...this.state }, steps: this.steps, hosts: this.hosts, retired: this.retired.length };
    const flat = (t: Tensor): Flat => (t.location === 'gpu-buffer' ? { device: t } : { host: t.data as Float32Array });
    let previous: Float32Array | undefined;
    if (param.location !== 'gpu-buffer' && this.param.host && !this.param.device && this.size <= COPY_MAX) {
      // Small groups: copying the new values into the same buffer costs less than new views for every
      // parameter, and keeps each p.data the same array. The old values are kept for an undo only when one
      // can happen, in a buffer kept for that (no allocation per step).
      if (undoable) {
        previous = this.undoBuffer ??= new Float32Array(this.size);
        previous.set(this.param.host);
      }
      this.param.host.set(param.data as Float32Array);
    } else {
      if (this.param.device) this.retired.push(this.param.device);
      this.param = flat(param);
      if (this.param.host) this.setViews(this.param.host);
    }
    for (const [n, t] of Object.entries(state)) {
      const old = this.state[n];
      if (old.device) this.retired.push(old.device);
      this.state[n] = flat(t);
    }
    this.steps = step.steps;
    this.hosts = step.hosts;
    if (!undoable) return notUndoable;
    return () => {
      // The outputs of the undone step are dropped; the buffers retired by it are current again.
      const fresh = [this.param, ...Object.values(this.state)].filter((f) => f.device).map((f) => f.device!);
      this.retired.length = before.retired;
      this.retired.push(...fresh);
      this.param = before.param;
      if (previous) this.param.host!.set(previous);
      this.views = before.views;
      this.params.forEach((p, i) => { p.data = this.views[i]; });
      this.state = before.state;
      this.steps = before.steps;
      this.hosts = before.hosts;
    };
  }

  private undoBuffer: Float32Array | undefined;

  private commit(out: Record<string, Tensor>, stateNames: string[], step: HostStep, undoable: boolean): () => void {
    return this.commitOutputs(out[names.paramOut], Object.fromEntries(stateNames.map((n) => [n, out[names.stateOut(n)]])), step, undoable);
  }

  /** Frees device buffers no longer current (after a step can no longer be undone). */
  disposeRetired(): void {
    for (const t of this.retired) t.dispose();
    this.retired = [];
  }

  async release(): Promise<void> {
    await this.sessions.release();
  }
}
