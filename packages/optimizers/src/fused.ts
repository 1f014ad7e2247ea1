import type { GraphBuilder, Value } from '@ortrain/graph-builder';
import type { Tensor } from 'onnxruntime-common';
import { appendGroupUpdate } from './compile';
import type { Runtime } from '@ortrain/runtime';
import type { GroupStore, HostStep } from './group-store';

/** What a fused update needs of its optimizer: the group's storage, its current options and the runtime. */
export interface FusedSource<O> {
  store: GroupStore<O>;
  /** The group's options as they are now, validated. */
  options(): O;
  runtime(): Promise<Runtime>;
  /**
   * The group's options as the user edits them (the param group object), when the source has one: a step's
   * plan is reused while these and the step counts are unchanged.
   */
  group?(): object;
}

/**
 * One parameter group's update appended to another graph (the trainer's forward + backward graph), so that
 * a whole training step is one `session.run`. The graph gets the group's flat parameters, state and step
 * scalars as inputs and their new values as outputs; `Optimizer.stepFused` feeds them and commits the
 * outputs, keeping the optimizer's face working (lr edits, hooks, stateDict, p.read()).
 *
 *     const g = new GraphBuilder('train');
 *     const update = optimizer.fuse(g, 0);                          // group 0; inputs 'opt0.param', ...
 *     const [W, b] = update.views();                                // the group's parameters as graph values
 *     ... forward, loss, gradients dW, db ...
 *     update.apply([dW, db]);                                       // appends the update, marks outputs
 *     const model = g.build();
 *     const session = await runtime.createSession(encodeModel(model), { deviceOutputs: update.outputNames });
 *     const results = await optimizer.stepFused([update], (feeds) => session.run({ ...feeds, x, y }));
 */
export class FusedUpdate<O extends object> {
  /** The group's parameters as one flat float32 input [N], in group order. */
  readonly param: Value;
  /** Names of the graph inputs this update feeds (parameters, state, scalars). */
  readonly inputNames: string[] = [];
  /** Names of the graph outputs it commits (new parameters and state); keep them on the device with WebGPU. */
  readonly outputNames: string[] = [];
  /** The new flat parameters, once `apply` has run. */
  newParam: Value | undefined;
  private readonly state: Record<string, Value>;
  private stateNames: string[];
  private key = '';
  private pending: HostStep | undefined;

  /** @internal use Optimizer.fuse */
  constructor(private readonly source: FusedSource<O>, readonly group: number, private readonly g: GraphBuilder, readonly prefix: string) {
    const store = source.store;
    const options = source.options();
    store.ensureState(options);
    const specs = store.rule.state(options);
    this.stateNames = specs.map((s) => s.name);
    this.param = g.input(`${prefix}param`, 'float32', [store.size]);
    this.state = Object.fromEntries(specs.map((s) => [s.name, g.input(`${prefix}state.${s.name}`, 'float32', [store.stateLength(s)])]));
    this.inputNames.push(this.param.name, ...Object.values(this.state).map((v) => v.name));
  }

  /** Each parameter of the group as a graph value of its shape (a slice of `param`). */
  views(): Value[] {
    const store = this.source.store;
    if (store.slots.length === 1) return [this.g.reshape(this.param, store.slots[0].shape)];
    return store.slots.map((s) => this.g.reshape(this.g.slice(this.param, [s.offset], [s.offset + s.size], [0]), s.shape));
  }

  /**
   * Appends the update for the next step given the gradient of every parameter of the group (one Value per
   * parameter, any shape with its number of elements, or one flat Value [N]), and marks the outputs.
   */
  apply(grads: Value | readonly Value[]): Value {
    if (this.newParam) throw new Error(`FusedUpdate '${this.prefix}': apply() was already called`);
    const store = this.source.store;
    const options = this.source.options();
    if (Array.isArray(grads) && grads.length !== store.params.length) {
      throw new RangeError(`FusedUpdate '${this.prefix}': ${grads.length} gradients given for ${store.params.length} parameters`);
    }
    const step = store.planStep(options, store.params.map((p) => p.data));
    if (!step) throw new RangeError(`FusedUpdate '${this.prefix}': the group has no parameters`);
    this.key = step.key;
    const scalars = step.plan.scalarSets.map((set, k) => Object.fromEntries(set.names.map((n) => {
      const v = this.g.input(`${this.prefix}s${k}.${n}`, 'float32', []);
      this.inputNames.push(v.name);
      return [n, v];
    })));
    const out = appendGroupUpdate(this.g, store.rule, options, step.plan, { param: this.param, state: this.state, grad: grads as Value | Value[], scalars });
    this.newParam = this.g.output(out.param, `${this.prefix}param.out`);
    this.outputNames.push(this.newParam.name);
    for (const n of this.stateNames) this.outputNames.push(this.g.output(out.state[n], `${this.prefix}state.${n}.out`).name);
    return this.newParam;
  }

  /**
   * False when the next step needs a graph of another form than the one built (a structural option was
   * changed, RAdam switched to its rectified form, or step counts differ): build a new graph then.
   */
  upToDate(): boolean {
    return this.plan().key === this.key;
  }

  /**
   * The plan of the next step. The trainer asks upToDate() and then runs (feeds()): the plan made for the
   * first is reused by the second while the step counts, host state and options are the same objects and
   * values (planning costs 15-20 us for a small group, validation included, a tenth of a digits MLP step).
   */
  private plan(): HostStep {
    const store = this.source.store;
    const group = this.source.group?.();
    const c = this.planned;
    if (c && group && c.steps === store.steps && c.hosts === store.hosts && sameValues(group, c.options)) return c.step;
    const options = this.source.options();
    const step = store.planStep(options, store.params.map((p) => p.data))!;
    this.planned = group ? { step, steps: store.steps, hosts: store.hosts, options: valuesOf(group) } : undefined;
    return step;
  }

  private planned: { step: HostStep; steps: readonly number[]; hosts: readonly object[]; options: Map<string, unknown> } | undefined;

  /** @internal the feeds of the next step. */
  async feeds(): Promise<Record<string, Tensor>> {
    if (!this.newParam) throw new Error(`FusedUpdate '${this.prefix}': call apply() before running`);
    const step = this.plan();
    if (step.key !== this.key) {
      throw new Error(`FusedUpdate '${this.prefix}': the next step needs a graph of another form (${step.key}, built for ${this.key}); build a new one (see upToDate())`);
    }
    const store = this.source.store;
    const runtime = await this.source.runtime();
    await store.absorbAssignments(runtime);
    const feeds: Record<string, Tensor> = {};
    const tensors = store.feedTensors(this.stateNames, runtime);
    feeds[this.param.name] = tensors.param;
    for (const n of this.stateNames) feeds[this.state[n].name] = tensors.state[n];
    step.scalars.forEach((s, k) => {
      for (const n in s.values) feeds[`${this.prefix}s${k}.${n}`] = store.scalarTensor(runtime, `${this.prefix}s${k}.${n}`, s.values[n]);
    });
    this.pending = step;
    return feeds;
  }

  /** @internal throws when the run did not return every output of this update. */
  checkResults(results: Record<string, Tensor>): void {
    const missing = this.outputNames.filter((n) => !results[n]);
    if (missing.length) throw new Error(`FusedUpdate '${this.prefix}': the run did not return ${missing.join(', ')}`);
  }

  /** @internal makes a run's outputs current; returns the undo (see PendingStep.commit for `undoable`). */
  commit(results: Record<string, Tensor>, undoable = true): () => void {
    this.checkResults(results);
    return this.source.store.commitOutputs(results[this.newParam!.name],
      Object.fromEntries(this.stateNames.map((n) => [n, results[`${this.prefix}state.${n}.out`]])), this.pending!, undoable);
  }
}

/** A group's option values (arrays copied: `betas[0] = 0.8` edits one in place), its parameters left out. */
function valuesOf(group: object): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(group)) if (k !== 'params') out.set(k, Array.isArray(v) ? [...v] : v);
  return out;
}

/** True when `group` holds exactly the values of `values` (valuesOf). */
function sameValues(group: object, values: Map<string, unknown>): boolean {
  let n = 0;
  for (const k in group) {
    if (k === 'params') continue;
    n++;
    const v = (group as Record<string, unknown>)[k];
    const was = values.get(k);
    if (v === was) continue;
    if (!Array.isArray(v) || !Array.isArray(was) || v.length !== was.length || v.some((x, i) => x !== was[i])) return false;
  }
  return n === values.size;
}
