import type { GraphBuilder } from '@ortrain/graph-builder';
import { Runtime } from '@ortrain/runtime';
import type { Tensor } from 'onnxruntime-common';
import { FusedUpdate } from './fused';
import { GroupStore, PendingStep } from './group-store';
import { Parameter, describe } from './parameter';
import type { Algorithm } from './algorithm';
import { OptimizerConfig, classConfigOptions } from './registry';
import { checkBool, checkKnown } from './options';
import { initialState } from './state-spec';
import { StateArray, StateValues, describeStateValues, isStateValues } from './state-values';
import { HookHandle, StepHook, StepHooks } from './step-hooks';
import { UpdatePath, UpdatePathOptions, updatePath } from './update-path';

/** A parameter group: its parameters and its options (all of them, defaults filled in). Edit options freely. */
export type ParamGroup<O> = O & { params: Parameter[] };
/** A group as given to a constructor or `addParamGroup`: options left out take the optimizer's defaults. */
export type ParamGroupInput<O> = Partial<O> & { params: Parameter[] };
/** What an optimizer is built over: its parameters (one group), or parameter groups with their own options. */
export type Params<O> = readonly Parameter[] | readonly ParamGroupInput<O>[];
/** Options of an optimizer: the algorithm's defaults for every group, and where to run. */
export type OptimizerOptions<O> = Partial<O> & UpdatePathOptions & {
  /** The runtime whose sessions run the updates (default: Runtime.create(), the CPU provider). */
  runtime?: Runtime | Promise<Runtime>;
};

/**
 * One parameter's saved state: its step count, per-element state and host-side numbers. `stateDict()` gives
 * the per-element state as Float32Array copies; `loadStateDict` takes those or plain arrays of numbers.
 */
export type SavedParamState = Record<string, number | StateValues>;

/** Options of `stateDict`. */
export interface StateDictOptions {
  /**
   * State arrays as views of the optimizer's own memory, not copies: valid only until the next step, load or
   * sync, for a caller that writes them out at once (a checkpoint save: copying 20 MB of Adam state into
   * fresh memory was a third of a mobilenet save).
   */
  views?: boolean;
}

/**
 * An optimizer's state, torch's `state_dict` with camelCase keys. As torch's holds tensors, the state
 * arrays are Float32Array; for JSON, write them as plain arrays (see `Optimizer.stateDict`).
 */
export interface OptimizerStateDict {
  /** The optimizer's name ('Adam'); loading into another algorithm throws. */
  algorithm?: string;
  /** By parameter index (counted over all groups in order); parameters never stepped are absent. */
  state: Record<string, SavedParamState>;
  /** Each group's options, with its parameters as indices. */
  paramGroups: Record<string, unknown>[];
}

/**
 * The torch-style optimizer over one update rule. Every parameter group is compiled into one ONNX model that
 * updates all of the group's tensors in one `session.run`; hyperparameters and the step count are inputs
 * of that model, so editing `paramGroups[i].lr` between steps never rebuilds it.
 */
export class Optimizer<O extends object> {
  readonly paramGroups: ParamGroup<O>[] = [];
  /** The options a group gets for what it leaves out. */
  readonly defaults: O;
  /** Number of sessions this optimizer has created (one per group and graph form). */
  get sessionCount(): number {
    return this.counters.sessions;
  }

  /** @internal */ readonly stores: GroupStore<O>[] = [];
  private readonly counters = { sessions: 0 };
  private readonly preHooks = new StepHooks<this>();
  private readonly postHooks = new StepHooks<this>();
  private readonly sums = new Map<Parameter, Float32Array>();
  private runtimePromise: Promise<Runtime> | undefined;
  private runtimeValue: Runtime | undefined;
  private busy = false;
  /** Chunking and threads of the group sessions (options chunkSize, chunkAbove, intraOpNumThreads). */
  private readonly path: UpdatePath;

  /** `rule`: the algorithm it runs (a rule composed with its transforms; its `name` is the registered one). */
  constructor(readonly rule: Algorithm<O>, params: Params<O>, options: OptimizerOptions<O> = {}) {
    const { runtime, chunkSize, chunkAbove, intraOpNumThreads, ...rest } = options as OptimizerOptions<O> & Record<string, unknown>;
    if (runtime) this.runtimePromise = Promise.resolve(runtime);
    this.path = updatePath(rule.name, { chunkSize, chunkAbove, intraOpNumThreads });
    const defaults = { ...rule.defaults } as Record<string, unknown>;
    for (const [k, v] of Object.entries(rest)) if (v !== undefined) defaults[k] = v;
    this.defaults = defaults as O;
    // Unknown names are reported here even when every group sets its own values.
    rule.validate({ ...this.defaults, ...requiredPlaceholders(rule, this.defaults) } as O);
    if (!Array.isArray(params) || params.length === 0) {
      throw new RangeError(`${rule.name}: optimizer got an empty parameter list (${describe(params)})`);
    }
    const groups: ParamGroupInput<O>[] = params[0] instanceof Parameter
      ? [{ params: params as Parameter[] } as ParamGroupInput<O>]
      : (params as ParamGroupInput<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Builds the optimizer a config names (`LAMB.fromConfig(params, { name: 'LAMB', options })`); a config of another optimizer throws. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  static fromConfig<T>(this: new (params: any, options: any) => T, params: Params<any>, config: OptimizerConfig): T {
    return new this(params, classConfigOptions(this as never, config));
  }

  /** Adds a group of parameters with its own options (as torch's add_param_group). */
  addParamGroup(group: ParamGroupInput<O>): void {
    const algo = this.rule.name;
    if (!group || typeof group !== 'object' || !Array.isArray(group.params)) {
      throw new TypeError(`${algo}: a parameter group must be an object with a params array, got ${describe(group)}`);
    }
    if (group.params.length === 0) throw new RangeError(`${algo}: parameter group ${this.paramGroups.length} has no parameters`);
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    for (const p of group.params) {
      if (!(p instanceof Parameter)) throw new TypeError(`${algo}: parameter group ${this.paramGroups.length} holds ${describe(p)}, not a Parameter`);
      if (seen.has(p)) throw new RangeError(`${algo}: parameter '${p.name}' appears in more than one parameter group`);
      seen.add(p);
    }
    const full = { ...this.defaults } as Record<string, unknown>;
    for (const [k, v] of Object.entries(group)) if (v !== undefined) full[k] = v;
    full.params = [...group.params];
    this.rule.validate(optionsOf(full) as O);
    const g = full as ParamGroup<O>;
    this.paramGroups.push(g);
    const store = new GroupStore(this.rule, g.params, optionsOf(g) as O, this.counters, this.path);
    store.runtime = this.runtimeValue;
    this.stores.push(store);
  }

  /** The runtime the updates run on (created on first use when none was given). */
  async runtime(): Promise<Runtime> {
    if (!this.runtimePromise) this.runtimePromise = Runtime.create();
    this.runtimeValue = await this.runtimePromise;
    for (const s of this.stores) s.runtime = this.runtimeValue;
    return this.runtimeValue;
  }

  /**
   * Sets the runtime the updates run on, when none was given to the constructor (a trainer shares its own).
   * Throws a RangeError once another runtime is in use: the optimizer's buffers may live on its device.
   */
  setRuntime(runtime: Runtime): void {
    if (this.runtimeValue && this.runtimeValue !== runtime) {
      throw new RangeError(`${this.rule.name}.setRuntime: the optimizer already runs on another runtime (provider '${this.runtimeValue.provider}')`);
    }
    this.runtimePromise = Promise.resolve(runtime);
  }

  registerStepPreHook(hook: StepHook<this>): HookHandle {
    return this.preHooks.add(hook);
  }

  registerStepPostHook(hook: StepHook<this>): HookHandle {
    return this.postHooks.add(hook);
  }

  /**
   * One update of every group: pre-hooks, the closure (when given; its loss is returned), one session run
   * per group that has gradients, then post-hooks. Parameters without a gradient are skipped. If anything
   * throws, parameters and state are left as they were before the call.
   */
  async step(closure?: () => number | undefined | Promise<number | undefined>): Promise<number | undefined> {
    if (this.busy) throw new Error(`${this.rule.name}.step: the previous step() has not finished; await it first`);
    this.busy = true;
    try {
      if (this.preHooks.size > 0) await this.preHooks.run(this);
      const loss = closure ? await closure() : undefined;
      const runtime = this.runtimeValue ?? (await this.runtime());
      const pending: PendingStep[] = [];
      const groupOptions = this.paramGroups.map((g) => this.checkedOptions(g));
      const grads = this.paramGroups.map((g) => g.params.map((p) => this.gradOf(p)));
      for (const s of this.stores) if (s.hasAssignments()) await s.absorbAssignments(runtime);
      for (let i = 0; i < this.stores.length; i++) {
        const run = await this.stores[i].run(runtime, groupOptions[i], grads[i]);
        if (run) pending.push(run);
      }
      await this.finish(pending.map((p) => p.commit));
      this.sums.clear();
      return loss;
    } finally {
      this.busy = false;
    }
  }

  /**
   * Commits results, runs post-hooks, and undoes the commits if a post-hook throws. Without post-hooks
   * nothing can throw after the commits (they only swap buffers), so they keep nothing for an undo.
   */
  private async finish(commits: ((undoable: boolean) => () => void)[]): Promise<void> {
    const undoable = this.postHooks.size > 0;
    const undo = commits.map((c) => c(undoable));
    try {
      if (this.postHooks.size > 0) await this.postHooks.run(this);
    } catch (e) {
      for (const u of undo.reverse()) u();
      throw e;
    }
    for (const s of this.stores) s.disposeRetired();
  }

  /**
   * Appends the update of parameter group `group` to another graph for fused training (forward, backward and
   * update in one run): see FusedUpdate. Input and output names start with `prefix` (default `opt<group>.`).
   */
  fuse(g: GraphBuilder, group: number, prefix = `opt${group}.`): FusedUpdate<O> {
    if (!Number.isInteger(group) || group < 0 || group >= this.paramGroups.length) {
      throw new RangeError(`${this.rule.name}.fuse: group ${group} does not exist (${this.paramGroups.length} groups)`);
    }
    const groupOptions = this.paramGroups[group];
    return new FusedUpdate({ store: this.stores[group], options: () => this.checkedOptions(groupOptions), runtime: () => this.runtime(), group: () => groupOptions }, group, g, prefix);
  }

  /**
   * One fused training step: pre-hooks, `run` with the feeds of every update (add the model's own inputs
   * and run the session), commit of the new parameters and state, post-hooks. Returns the run's outputs.
   * As with step(), a throw anywhere leaves parameters and state unchanged.
   */
  async stepFused(updates: readonly FusedUpdate<O>[], run: (feeds: Record<string, Tensor>) => Promise<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    if (this.busy) throw new Error(`${this.rule.name}.stepFused: the previous step has not finished; await it first`);
    this.busy = true;
    try {
      await this.preHooks.run(this);
      await this.runtime();
      const feeds: Record<string, Tensor> = {};
      for (const u of updates) Object.assign(feeds, await u.feeds());
      const results = await run(feeds);
      // Every update's outputs are checked before any is committed.
      for (const u of updates) u.checkResults(results);
      await this.finish(updates.map((u) => (undoable) => u.commit(results, undoable)));
      return results;
    } finally {
      this.busy = false;
    }
  }

  /** @internal the group's options, validated (they may have been edited since the last step). */
  checkedOptions(group: ParamGroup<O>): O {
    const o = optionsOf(group) as O;
    this.rule.validate(o);
    return o;
  }

  /** The gradient the next step uses for `p` (its sumGrad accumulator, else .grad), checked. */
  private gradOf(p: Parameter): Float32Array | undefined {
    const g = (this.sums.size > 0 ? this.sums.get(p) : undefined) ?? p.grad;
    if (g === null || g === undefined) return undefined;
    checkGrad(p, g);
    return g;
  }

  /** Clears every gradient: set to null (default, as torch 2), or filled with zeros. */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (setToNone) p.grad = null;
        else p.grad?.fill(0);
      }
    }
  }

  /**
   * dragon's sum_grad: adds each parameter's current .grad into its accumulator. The next step() uses, for
   * every parameter that has an accumulator, the accumulator instead of .grad; a step that succeeds empties
   * the accumulators. (Call it after each backward pass to train on the sum of several batches.)
   */
  sumGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) if (p.grad) checkGrad(p, p.grad);
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (!p.grad) continue;
        const acc = this.sums.get(p);
        if (!acc) this.sums.set(p, Float32Array.from(p.grad));
        else for (let j = 0; j < acc.length; j++) acc[j] += p.grad[j];
      }
    }
  }

  /** Gives every parameter a .grad that is a view into its group's flat gradient buffer, so step() copies nothing. */
  useFlatGrads(): void {
    for (const s of this.stores) s.attachGradViews();
  }

  /**
   * Takes in values assigned to `p.data` since the last step and reads parameters and state back from the
   * device (WebGPU), so that stateDict() and every p.data are current.
   */
  async sync(): Promise<void> {
    const runtime = await this.runtime();
    for (let i = 0; i < this.stores.length; i++) {
      const s = this.stores[i];
      await s.absorbAssignments(runtime);
      await s.hostParams(runtime);
      for (const n of Object.keys(s.state)) await s.hostState(n, runtime);
      s.disposeRetired();
    }
  }

  /**
   * The state: per parameter (indexed over all groups) its step, its state arrays as Float32Array copies
   * (`StateArray`; torch's state_dict holds tensors) and host numbers; per group its options. The arrays are
   * copied in one memcpy each, not element by element, so a checkpoint of millions of values costs what its
   * bytes cost. `JSON.stringify` writes them as arrays of numbers, and `JSON.parse` of that loads and gives
   * identical next steps. With state on the device, call `await sync()` first. `{ views: true }` gives views
   * of the optimizer's own memory instead of copies (see StateDictOptions).
   */
  stateDict(options: StateDictOptions = {}): OptimizerStateDict {
    const where = `${this.rule.name}.stateDict`;
    if (!options || typeof options !== 'object') throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
    checkKnown(where, options, ['views']);
    if (options.views !== undefined) checkBool(where, 'views', options.views);
    const state: Record<string, SavedParamState> = {};
    let index = 0;
    this.paramGroups.forEach((g, gi) => {
      const s = this.stores[gi];
      const specs = this.rule.state(optionsOf(g) as O);
      g.params.forEach((_p, i) => {
        const at = index++;
        if (s.steps[i] === 0) return;
        const entry: SavedParamState = { step: s.steps[i] };
        for (const spec of specs) {
          const host = s.hostStateNow(spec.name);
          if (!host) throw new Error(`${this.rule.name}.stateDict: the state '${spec.name}' lives on the device; await optimizer.sync() first`);
          const slot = s.stateSlot(spec, i);
          const values = host.subarray(slot.offset, slot.offset + slot.size);
          entry[spec.name] = options.views ? StateArray.viewOf(values) : StateArray.copyOf(values);
        }
        Object.assign(entry, s.hosts[i]);
        state[String(at)] = entry;
      });
    });
    let start = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const o = JSON.parse(JSON.stringify(optionsOf(g))) as Record<string, unknown>;
      o.params = g.params.map((_, i) => start + i);
      start += g.params.length;
      return o;
    });
    return { algorithm: this.rule.name, state, paramGroups };
  }

  /** The name and the options for every group (the constructor's), JSON-serialisable: see optimizerFromConfig. */
  getConfig(): OptimizerConfig {
    return { name: this.rule.name, options: JSON.parse(JSON.stringify(this.defaults)) as Record<string, unknown> };
  }

  /**
   * Restores a state dict of an optimizer with the same groups and parameter sizes; its state arrays may be
   * Float32Array (as stateDict gives them) or plain arrays of numbers (JSON). Checks everything first.
   */
  loadStateDict(dict: OptimizerStateDict): void {
    const algo = this.rule.name;
    if (!dict || typeof dict !== 'object' || !Array.isArray(dict.paramGroups) || typeof dict.state !== 'object' || dict.state === null) {
      throw new TypeError(`${algo}.loadStateDict: expected { state, paramGroups }, got ${describe(dict)}`);
    }
    if (dict.algorithm !== undefined && dict.algorithm !== algo) {
      throw new RangeError(`${algo}.loadStateDict: the state dict is of ${String(dict.algorithm)}, not ${algo}`);
    }
    if (dict.paramGroups.length !== this.paramGroups.length) {
      throw new RangeError(`${algo}.loadStateDict: the state dict has ${dict.paramGroups.length} parameter groups, the optimizer ${this.paramGroups.length}`);
    }
    const plans = this.paramGroups.map((g, gi) => {
      const saved = dict.paramGroups[gi];
      const ids = saved.params;
      if (!Array.isArray(ids) || ids.length !== g.params.length) {
        throw new RangeError(`${algo}.loadStateDict: group ${gi} has ${Array.isArray(ids) ? ids.length : describe(ids)} parameters in the state dict, ${g.params.length} in the optimizer`);
      }
      const options = { ...optionsOf(saved) } as Record<string, unknown>;
      this.rule.validate({ ...optionsOf(g), ...options } as O);
      const o = { ...optionsOf(g), ...options } as O;
      const store = this.stores[gi];
      const specs = this.rule.state(o);
      const stateNames = specs.map((x) => x.name);
      const hostNames = Object.keys(this.rule.hostState(o));
      const entries = (ids as number[]).map((id, i) => {
        const p = g.params[i];
        const e = dict.state[String(id)];
        if (e === undefined) return undefined;
        const step = e.step;
        if (typeof step !== 'number' || !Number.isInteger(step) || step < 1) {
          throw new RangeError(`${algo}.loadStateDict: parameter '${p.name}': step must be a positive integer, got ${describe(step)}`);
        }
        for (const key of Object.keys(e)) {
          if (key !== 'step' && !stateNames.includes(key) && !hostNames.includes(key)) {
            throw new RangeError(`${algo}.loadStateDict: parameter '${p.name}': unknown state '${key}' (expected ${['step', ...stateNames, ...hostNames].join(', ')})`);
          }
        }
        for (const spec of specs) {
          const v = e[spec.name];
          const size = store.stateSlot(spec, i).size;
          if (!isStateValues(v, size)) {
            throw new RangeError(`${algo}.loadStateDict: parameter '${p.name}': state '${spec.name}' must be a Float32Array or an array of ${size} numbers, got ${describeStateValues(v)}`);
          }
        }
        for (const n of hostNames) {
          if (typeof e[n] !== 'number') throw new RangeError(`${algo}.loadStateDict: parameter '${p.name}': '${n}' must be a number, got ${describe(e[n])}`);
        }
        return e;
      });
      return { options: o, specs, hostNames, entries };
    });
    // Everything checked: apply.
    this.paramGroups.forEach((g, gi) => {
      const { options, specs, hostNames, entries } = plans[gi];
      Object.assign(g, options);
      const store = this.stores[gi];
      for (const spec of specs) {
        // The group's own host array of this state is written in place when it has the right length: a
        // checkpoint load then allocates nothing here (a fresh 10 MB array is new memory from the system,
        // about a third of a mobilenet checkpoint's load). Parameters without saved state start as a fresh
        // optimizer's would.
        const length = store.stateLength(spec);
        const own = store.hostStateNow(spec.name);
        const reuse = own !== undefined && own.length === length && spec.init !== 'param';
        const host = reuse ? own : initialState(spec, length, () => Float32Array.from(g.params.flatMap((p) => Array.from(p.data))));
        g.params.forEach((_, i) => {
          const e = entries[i];
          const slot = store.stateSlot(spec, i);
          if (e) host.set(e[spec.name] as StateValues, slot.offset);
          else if (reuse) host.fill(spec.init as number, slot.offset, slot.offset + slot.size);
        });
        store.setHostState(spec.name, host);
      }
      store.steps = entries.map((e) => (e ? (e.step as number) : 0));
      const fresh = this.rule.hostState(options);
      store.hosts = entries.map((e) => (e ? Object.fromEntries(hostNames.map((n) => [n, e[n] as number])) : { ...fresh }));
    });
    this.sums.clear();
  }

  /** Releases the sessions (the runtime stays the caller's). */
  async release(): Promise<void> {
    for (const s of this.stores) await s.release();
  }
}

/** A group's options without its parameters. */
export function optionsOf(group: object): Record<string, unknown> {
  const { params, ...rest } = group as Record<string, unknown>;
  void params;
  return rest;
}

/** Placeholder values for required options (undefined defaults) so that the defaults can be checked alone. */
function requiredPlaceholders<O>(rule: Algorithm<O>, defaults: O): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rule.defaults as object)) {
    if (v === undefined && (defaults as Record<string, unknown>)[k] === undefined) out[k] = 0;
  }
  return out;
}

export function checkGrad(p: Parameter, g: unknown): void {
  if (!(g instanceof Float32Array)) {
    throw new TypeError(`parameter '${p.name}': gradient must be a Float32Array, got ${describe(g)}`);
  }
  if (g.length !== p.size) {
    throw new RangeError(`parameter '${p.name}': gradient has ${g.length} elements, the parameter ${p.size} (shape [${p.shape.join(', ')}])`);
  }
}
