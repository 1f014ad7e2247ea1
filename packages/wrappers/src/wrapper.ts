import { HookHandle, Optimizer, OptimizerStateDict, Parameter, StateDictOptions, StateValues, StepHook, StepHooks } from '@ortrain/optimizers';
import type { FusedUpdate } from '@ortrain/optimizers';
import type { Runtime } from '@ortrain/runtime';
import type { Tensor } from 'onnxruntime-common';
import type { OptimizerConfig } from './config';

/** An optimizer of @ortrain/optimizers (an algorithm, not a wrapper), whatever its options type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AlgorithmOptimizer = Optimizer<any>;
/** What a wrapper wraps: an optimizer, or another wrapper. */
export type Optimizable = AlgorithmOptimizer | Wrapper;
export type Closure = () => number | undefined | Promise<number | undefined>;
export type RunFused = (feeds: Record<string, Tensor>) => Promise<Record<string, Tensor>>;

/** A wrapper's state dict: its own per-parameter state (torch's layout), its base's groups, and its base's state dict. */
export interface WrapperStateDict extends OptimizerStateDict {
  /** The wrapper's name and its own counters. */
  wrapper: { name: string } & Record<string, unknown>;
  base: OptimizerStateDict | WrapperStateDict;
}

/**
 * What wrappers share: an optimizer's face over a base optimizer (its parameter groups, so lr edits and
 * schedulers reach the base; zeroGrad; its runtime), the wrapper's own step hooks, and a state dict that
 * holds the base's. Subclasses give `step` and their own state.
 */
export abstract class Wrapper {
  abstract readonly name: 'SAM' | 'Lookahead' | 'Scout';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly preHooks = new StepHooks<any>();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly postHooks = new StepHooks<any>();
  protected busy = false;

  constructor(readonly base: Optimizable) {}

  /** The base's parameter groups (the same objects): edit lr there, or give the wrapper to a scheduler. */
  get paramGroups(): AlgorithmOptimizer['paramGroups'] {
    return this.base.paramGroups;
  }

  get defaults(): Record<string, unknown> {
    return this.base.defaults as Record<string, unknown>;
  }

  /** The optimizer at the bottom of the chain of wrappers (the one whose rule updates the parameters). */
  get optimizer(): AlgorithmOptimizer {
    return this.base instanceof Wrapper ? this.base.optimizer : this.base;
  }

  /** Every parameter, in group order. */
  get params(): Parameter[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** The wrappers from this one down to the optimizer, outermost first. */
  get chain(): Wrapper[] {
    return [this, ...(this.base instanceof Wrapper ? this.base.chain : [])];
  }

  abstract step(closure?: Closure): Promise<number | undefined>;

  zeroGrad(setToNone = true): void {
    this.base.zeroGrad(setToNone);
  }

  registerStepPreHook(hook: StepHook<this>): HookHandle {
    return this.preHooks.add(hook);
  }

  registerStepPostHook(hook: StepHook<this>): HookHandle {
    return this.postHooks.add(hook);
  }

  protected runHooks(which: 'pre' | 'post'): Promise<void> {
    return (which === 'pre' ? this.preHooks : this.postHooks).run(this);
  }

  /** One step of the wrapper at a time. */
  protected async exclusive<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.busy) throw new Error(`${this.name}.${what}: the previous step has not finished; await it first`);
    this.busy = true;
    try {
      return await fn();
    } finally {
      this.busy = false;
    }
  }

  runtime(): Promise<Runtime> {
    return this.optimizer.runtime();
  }

  setRuntime(runtime: Runtime): void {
    this.optimizer.setRuntime(runtime);
  }

  /** Reads parameters and state back from the device (see Optimizer.sync), the wrapper's own state included. */
  async sync(): Promise<void> {
    await this.base.sync();
    await this.syncOwn();
  }

  protected async syncOwn(): Promise<void> {}

  /** The wrapper's own state, per parameter index, and its counters. */
  protected abstract ownState(): { state: Record<string, Record<string, number | StateValues>>; counters: Record<string, unknown> };
  /** Checks a saved own state (throwing a RangeError naming what does not fit) and returns the function that applies it. */
  protected abstract checkOwnState(state: Record<string, Record<string, unknown>>, counters: Record<string, unknown>): () => void;

  /**
   * The state as plain JSON data: `state` (the wrapper's own, per parameter index), `paramGroups` (the
   * base's), `wrapper` ({ name, counters }) and `base` (the base's own state dict). With state on the
   * device, call `await sync()` first.
   */
  stateDict(options?: StateDictOptions): WrapperStateDict {
    // The base's arrays as views when asked (a checkpoint written at once); the wrapper's own are copies.
    const base = this.base.stateDict(options);
    const own = this.ownState();
    return { state: own.state, paramGroups: base.paramGroups, wrapper: { name: this.name, ...own.counters }, base };
  }

  /** Restores a state dict of the same chain of wrappers; checks everything before changing anything. */
  loadStateDict(dict: WrapperStateDict): void {
    if (!dict || typeof dict !== 'object' || !dict.wrapper || typeof dict.wrapper !== 'object' || !dict.base || typeof dict.state !== 'object') {
      throw new TypeError(`${this.name}.loadStateDict: expected { state, paramGroups, wrapper, base }, got ${describe(dict)}`);
    }
    if (dict.wrapper.name !== this.name) {
      throw new RangeError(`${this.name}.loadStateDict: the state dict is a ${String(dict.wrapper.name)}'s, not a ${this.name}'s`);
    }
    const { name, ...counters } = dict.wrapper;
    void name;
    const apply = this.checkOwnState(dict.state as Record<string, Record<string, unknown>>, counters);
    // The base checks its whole state dict before it changes anything; ours was checked above.
    (this.base.loadStateDict as (d: unknown) => void)(dict.base);
    apply();
  }

  /** The wrapper's configuration and its base's: `{ name, options, base }`. */
  abstract getConfig(): OptimizerConfig;

  async release(): Promise<void> {
    await this.releaseOwn();
    await this.base.release();
  }

  protected async releaseOwn(): Promise<void> {}

  /**
   * One fused training step (see Optimizer.stepFused): the wrapper's hooks around its base's fused step,
   * with the wrapper's own feeds and commits where it keeps state in the graph (`parts`: what each wrapper
   * of the chain appended to the graph).
   */
  async stepFused(updates: readonly FusedUpdate<object>[], run: RunFused, parts: ReadonlyMap<Wrapper, unknown> = new Map()): Promise<Record<string, Tensor>> {
    return this.exclusive('stepFused', async () => {
      await this.runHooks('pre');
      const out = await this.fusedInner(updates, run, parts);
      await this.runHooks('post');
      return out;
    });
  }

  /** The base's fused step (a subclass adds its feeds and commits around it). */
  protected fusedInner(updates: readonly FusedUpdate<object>[], run: RunFused, parts: ReadonlyMap<Wrapper, unknown>): Promise<Record<string, Tensor>> {
    return stepFusedOf(this.base, updates, run, parts);
  }
}

/** A fused step of an optimizer or a wrapper. */
export function stepFusedOf(o: Optimizable, updates: readonly FusedUpdate<object>[], run: RunFused, parts: ReadonlyMap<Wrapper, unknown>): Promise<Record<string, Tensor>> {
  return o instanceof Wrapper ? o.stepFused(updates, run, parts) : o.stepFused(updates as unknown as FusedUpdate<Record<string, unknown>>[], run);
}

/** Checks that `base` is an optimizer or a wrapper (a TypeError naming the option otherwise). */
export function checkBase(who: string, base: unknown): Optimizable {
  if (!(base instanceof Optimizer) && !(base instanceof Wrapper)) {
    throw new TypeError(`${who}: base must be an optimizer of @ortrain/optimizers or a wrapper, got ${describe(base)}`);
  }
  return base;
}

export function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x === 'function') return `function ${x.name || '(anonymous)'}`;
  return typeof x === 'object' ? (x as object).constructor?.name ?? 'object' : `${typeof x} ${String(x)}`;
}
