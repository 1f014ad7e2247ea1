import type { GraphBuilder, Value } from '@ortrain/graph-builder';
import { FusedUpdate, Parameter } from '@ortrain/optimizers';
import type { Runtime } from '@ortrain/runtime';
import { AlgorithmOptimizer, Optimizable, OptimizerConfig, SAM, SlowWeights, Wrapper, stepFusedOf } from '@ortrain/wrappers';
import type { Tensor } from 'onnxruntime-common';

/** The optimizer's update appended to a step graph: one FusedUpdate per parameter group, and the wrappers' parts. */
export interface FusedStep {
  updates: FusedUpdate<object>[];
  /** Each parameter as a graph value, by name: a slice of its group's flat buffer, made on first use. */
  views(): Map<string, Value>;
  /** Appends every group's update given the gradients to apply, by parameter name (and the slow weights' part); returns each group's new flat parameters. */
  apply(grads: Map<string, Value>): Value[];
  /** Names of the outputs that the next step reads (new parameters and state): kept on the device. */
  outputNames: string[];
  /** What each wrapper appended (Lookahead's and Scout's state), for their stepFused. */
  parts: Map<Wrapper, unknown>;
}

/**
 * What the session needs of the optimizer, through its public fused-training face (`fuse`, `stepFused`):
 * the update inside the session's own graph, and the parameters' current values for the other graphs.
 * With wrappers, the update is the innermost optimizer's; SAM adds the ascent between two gradient passes
 * (the step graph asks `sam`), Lookahead and Scout their part after the update (`fuse(g, sync)`).
 */
export class OptimizerBridge {
  /** Per group, its parameters' names in group order. */
  private readonly groups: string[][];
  /** The optimizer whose rule makes the update (the innermost one under wrappers). */
  readonly base: AlgorithmOptimizer | undefined;
  /** The SAM of the chain of wrappers, if any: its step graph holds two gradient passes. */
  readonly sam: SAM | undefined;
  /** The Lookahead or Scout of the chain, if any. */
  readonly slow: SlowWeights | undefined;

  /** `optimizer` (an optimizer, or wrappers over one): undefined for a session of gradients only; parameters keep their values. */
  constructor(readonly optimizer: Optimizable | undefined, private readonly params: Parameter[], runtime: Runtime) {
    const chain = optimizer instanceof Wrapper ? optimizer.chain : [];
    this.base = optimizer instanceof Wrapper ? optimizer.optimizer : optimizer;
    this.sam = chain.find((w): w is SAM => w instanceof SAM);
    this.slow = chain.find((w): w is SlowWeights => w instanceof SlowWeights);
    if (!optimizer) {
      this.groups = [];
      return;
    }
    const seen = new Set<Parameter>();
    this.groups = optimizer.paramGroups.map((g: { params: Parameter[] }) => g.params.map((p) => {
      if (!params.includes(p)) throw new RangeError(`optimizer: parameter '${p.name}' is not one of the session's trainable parameters`);
      seen.add(p);
      return p.name;
    }));
    for (const p of params) {
      if (!seen.has(p)) throw new RangeError(`optimizer: the trainable parameter '${p.name}' is in no parameter group; give the optimizer every parameter the factory receives`);
    }
    // The optimizer reads device-resident parameters back (p.read(), sync()) through a runtime; its buffers
    // are outputs of this session's runs, so it must be the session's (setRuntime refuses once another one
    // is in use).
    optimizer.setRuntime(runtime);
  }

  /** The optimizer's name as checkpoints record it: the algorithm ('Adam'), under wrappers 'Lookahead(SAM(Adam))'. */
  get algorithm(): string {
    if (!this.base) return 'none';
    const names = this.optimizer instanceof Wrapper ? this.optimizer.chain.map((w) => w.name) : [];
    return names.reduceRight((inner, w) => `${w}(${inner})`, this.base.rule.name);
  }

  /** A wrapper's configuration (`getConfig()`), which checkpoints carry beside the algorithm; undefined for a plain optimizer. */
  get config(): OptimizerConfig | undefined {
    return this.optimizer instanceof Wrapper ? this.optimizer.getConfig() : undefined;
  }

  /**
   * Starts the update in `g`: parameters become slices of the group buffers, fed by the optimizer. With slow
   * weights, `sync` builds the graph of a step that ends with a sync; `baseOnly` leaves the wrappers' part out.
   */
  fuse(g: GraphBuilder, o: { sync?: boolean; baseOnly?: boolean } = {}): FusedStep {
    const base = this.base!;
    const updates = this.groups.map((_, gi) => base.fuse(g, gi, `opt${gi}.`));
    const step: FusedStep = {
      updates,
      views: () => {
        const views = new Map<string, Value>();
        updates.forEach((u, gi) => u.views().forEach((v, i) => views.set(this.groups[gi][i], v)));
        return views;
      },
      outputNames: [],
      parts: new Map(),
      apply: (grads) => {
        const next = updates.map((u, gi) => u.apply(this.groups[gi].map((n) => grads.get(n)!)));
        step.outputNames = updates.flatMap((u) => u.outputNames);
        if (this.slow && !o.baseOnly) {
          const part = g.scope('slow_weights', () => this.slow!.fuse(g, updates, o.sync ?? false));
          step.parts.set(this.slow, part);
          step.outputNames.push(...part.stateOutputs, ...part.fastOutputs);
        }
        return next;
      },
    };
    return step;
  }

  /** True when the next update ends with a sync of slow weights (its graph differs). */
  get syncDue(): boolean {
    return this.slow?.syncDue ?? false;
  }

  /** Runs one optimizer step around `run` (hooks, feeds of the update, commit): see Optimizer.stepFused. */
  stepFused(step: FusedStep, run: (feeds: Record<string, Tensor>) => Promise<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    return stepFusedOf(this.optimizer!, step.updates, run, step.parts);
  }

  /** Feeds of graphs run outside stepFused that hold SAM's ascent (the accumulation step). */
  extraFeeds(runtime: Runtime): Record<string, Tensor> {
    return this.sam ? this.sam.fusedFeeds(runtime) : {};
  }

  /**
   * Inside a fused step's run on the host: each parameter as a tensor over its view of the group buffer that
   * the step feeds (no copy).
   */
  paramViews(T: Runtime['Tensor']): Record<string, Tensor> {
    return Object.fromEntries(this.params.map((p) => [p.name, new T('float32', p.data, p.shape)]));
  }

  /**
   * Current values of every parameter, by name: the optimizer's own arrays (views of its group buffers, read
   * back from the device when they live there), valid until its next step. Do not write to them.
   */
  async currentParams(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const p of this.params) out.set(p.name, await p.read());
    return out;
  }

  /** Copies of every parameter's current values, by name. */
  async hostParams(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const [n, v] of await this.currentParams()) out.set(n, Float32Array.from(v));
    return out;
  }

  /** Sets parameter values (checked by the caller). */
  async setParams(values: Map<string, Float32Array>): Promise<void> {
    for (const p of this.params) p.data = Float32Array.from(values.get(p.name)!);
    // Assigned values are taken in by the optimizer's next step; take them in now so that p.read() and the
    // eval graphs see them at once.
    await this.base?.sync();
  }
}
