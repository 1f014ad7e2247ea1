import type { GraphBuilder, Value } from '@ortrain/graph-builder';
import { FusedUpdate, Optimizer, Parameter } from '@ortrain/optimizers';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOptimizer = Optimizer<any>;
import type { Runtime } from '@ortrain/runtime';
import type { Tensor } from 'onnxruntime-common';

/** The optimizer's update appended to a step graph: one FusedUpdate per parameter group. */
export interface FusedStep {
  updates: FusedUpdate<object>[];
  /** Each parameter as a graph value, by name: a slice of its group's flat buffer, made on first use. */
  views(): Map<string, Value>;
  /** Appends every group's update given the gradients to apply, by parameter name; returns each group's new flat parameters. */
  apply(grads: Map<string, Value>): Value[];
  /** Names of the outputs that the next step reads (new parameters and state): kept on the device. */
  outputNames: string[];
}

/**
 * What the session needs of the optimizer, through its public fused-training face (`fuse`, `stepFused`):
 * the update inside the session's own graph, and the parameters' current values for the other graphs.
 */
export class OptimizerBridge {
  /** Per group, its parameters' names in group order. */
  private readonly groups: string[][];

  /** `optimizer` undefined: a session for gradients only; parameters keep their values. */
  constructor(readonly optimizer: AnyOptimizer | undefined, private readonly params: Parameter[], runtime: Runtime) {
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

  /** The optimizer's algorithm name ('Adam'), which checkpoints record. */
  get algorithm(): string {
    return this.optimizer ? this.optimizer.rule.algorithm : 'none';
  }

  /** Starts the update in `g`: parameters become slices of the group buffers, fed by the optimizer. */
  fuse(g: GraphBuilder): FusedStep {
    const optimizer = this.optimizer!;
    const updates = this.groups.map((_, gi) => optimizer.fuse(g, gi, `opt${gi}.`));
    const step: FusedStep = {
      updates,
      views: () => {
        const views = new Map<string, Value>();
        updates.forEach((u, gi) => u.views().forEach((v, i) => views.set(this.groups[gi][i], v)));
        return views;
      },
      outputNames: [],
      apply: (grads) => {
        const next = updates.map((u, gi) => u.apply(this.groups[gi].map((n) => grads.get(n)!)));
        step.outputNames = updates.flatMap((u) => u.outputNames);
        return next;
      },
    };
    return step;
  }

  /** Runs one optimizer step around `run` (hooks, feeds of the update, commit): see Optimizer.stepFused. */
  stepFused(step: FusedStep, run: (feeds: Record<string, Tensor>) => Promise<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    return this.optimizer!.stepFused(step.updates, run);
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
    await this.optimizer?.sync();
  }
}
