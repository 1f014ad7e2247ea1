import { GraphBuilder, Value } from '@ortrain/graph-builder';
import { FusedUpdate, Optimizer, Parameter, StateArray, checkGrad, describeStateValues, isStateValues } from '@ortrain/optimizers';
import type { Runtime } from '@ortrain/runtime';
import type { Tensor } from 'onnxruntime-common';
import type { OptimizerConfig } from './config';
import { configOf } from './config';
import { GraphSessions, values } from './graph-sessions';
import { samPerturbation } from './sam-graph';
import { Closure, Optimizable, RunFused, Wrapper, checkBase, describe, stepFusedOf } from './wrapper';

export interface SAMOptions {
  /** Radius of the ascent step (default 0.05, quadra's). */
  rho?: number;
  /** ASAM: scale by |w| inside the norm and by w^2 in the perturbation (default true, quadra's). */
  adaptive?: boolean;
}

/** A class of optimizer built from parameters and options: `Adam`, `SGD`, ... (quadra's `base_optimizer`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OptimizerClass = new (params: any, options?: any) => Optimizable;

/**
 * Sharpness-aware minimisation (quadra's SAM; `adaptive: true` is ASAM). Each step takes the gradient g1 at
 * w, climbs to w + e(w) with e = rho * g1 / ||g1|| (ASAM: w^2 * g1 scaled by rho / || |w| g1 ||, the norm
 * global over every group), takes the gradient there, returns to w and lets the base optimizer step with
 * that second gradient.
 *
 *     const sam = new SAM(params, SGD, { rho: 0.05, adaptive: false, lr: 0.1, momentum: 0.9 });
 *     // p.grad holds the gradient at w
 *     await sam.step(async () => { ...gradients at the perturbed point into p.grad...; return loss; });
 *
 * `base` is an optimizer class (built over `params` with the options other than rho and adaptive) or an
 * optimizer already built. The ascent and the return are ONNX graphs, one run each for every group.
 */
export class SAM extends Wrapper {
  readonly name = 'SAM' as const;
  rho: number;
  adaptive: boolean;
  /** Per parameter, the ascent e(w) applied by firstStep and not yet taken back (quadra's state `e_w`). */
  private e = new Map<Parameter, Float32Array>();
  private readonly graphs = new GraphSessions();

  constructor(params: readonly Parameter[] | readonly { params: Parameter[] }[], base: OptimizerClass | Optimizable, options: SAMOptions & Record<string, unknown> = {}) {
    const { rho = 0.05, adaptive = true, ...rest } = options ?? {};
    checkRho(rho);
    checkAdaptive(adaptive);
    let built: Optimizable;
    if (typeof base === 'function') {
      if (base === (SAM as unknown) || base.prototype instanceof SAM) throw new RangeError('SAM: base is SAM; a SAM inside a SAM perturbs twice, which makes no sense (wrap the base optimizer once)');
      if (!(base.prototype instanceof Optimizer) && !(base.prototype instanceof Wrapper)) {
        throw new TypeError(`SAM: base must be an optimizer class (Adam, SGD, ...) or an optimizer, got ${describe(base)}`);
      }
      built = new base(params, rest);
    } else {
      built = checkBase('SAM', base);
      if (Object.keys(rest).length > 0) throw new RangeError(`SAM: options ${Object.keys(rest).join(', ')} are for the base optimizer, which was given already built`);
    }
    if (built instanceof Wrapper && built.chain.some((w) => w instanceof SAM)) {
      throw new RangeError('SAM: the base already contains a SAM; a SAM inside a SAM perturbs twice, which makes no sense');
    }
    super(built);
    this.rho = rho;
    this.adaptive = adaptive;
  }

  /** The optimizer that makes the update at w (quadra's `base_optimizer`). */
  get baseOptimizer(): Optimizable {
    return this.base;
  }

  /**
   * Climbs from w to w + e(w) along the current gradients (parameters without a gradient stay), and with
   * `zeroGrad` clears the gradients (torch's zero_grad: set to none by default).
   */
  async firstStep(zeroGrad = false): Promise<void> {
    checkRho(this.rho);
    checkAdaptive(this.adaptive);
    if (this.e.size > 0) throw new Error('SAM.firstStep: the previous firstStep was not followed by secondStep');
    const params = this.params.filter((p) => p.grad !== null && p.grad !== undefined);
    if (params.length === 0) return;
    for (const p of params) checkGrad(p, p.grad);
    const runtime = await this.runtime();
    const T = runtime.Tensor;
    const feeds: Record<string, Tensor> = { rho: new T('float32', Float32Array.of(this.rho), []) };
    const tensor = (data: Float32Array, p: Parameter) => new T('float32', data, [p.size]);
    for (const [i, p] of params.entries()) {
      feeds[`w${i}`] = tensor(await p.read(), p);
      feeds[`g${i}`] = tensor(p.grad!, p);
    }
    const sizes = params.map((p) => p.size);
    const out = await this.graphs.run(runtime, `perturb ${this.adaptive} ${sizes.join(',')}`, () => perturbationModel(sizes, this.adaptive), feeds);
    params.forEach((p, i) => {
      this.e.set(p, values(out[`e${i}`]));
      p.data = values(out[`w${i}.out`]);
    });
    if (zeroGrad) this.zeroGrad();
  }

  /** Returns to w (w + e - e, as quadra) and lets the base step with the gradients now in p.grad. */
  async secondStep(zeroGrad = false): Promise<void> {
    await this.restore();
    await this.base.step();
    if (zeroGrad) this.zeroGrad();
  }

  /**
   * firstStep, the gradients zeroed in place (torch 1.13's zero_grad), the closure computing the gradients
   * at the perturbed point (it may return the loss, which step returns), secondStep. If the closure or
   * anything after it throws, the parameters are back at w and the base's state is as it was.
   */
  async step(closure?: Closure): Promise<number | undefined> {
    if (typeof closure !== 'function') throw new TypeError(`SAM.step: needs a closure that computes the gradients at the perturbed point, got ${describe(closure)}`);
    return this.exclusive('step', async () => {
      await this.runHooks('pre');
      await this.firstStep(false);
      this.zeroGrad(false);
      let loss: number | undefined;
      try {
        loss = await closure();
      } catch (e) {
        await this.restore();
        throw e;
      }
      await this.secondStep();
      await this.runHooks('post');
      return loss;
    });
  }

  /** Takes the ascent back: w = (w + e) - e, one run for every perturbed parameter. */
  private async restore(): Promise<void> {
    if (this.e.size === 0) return;
    const params = [...this.e.keys()];
    const runtime = await this.runtime();
    const T = runtime.Tensor;
    const feeds: Record<string, Tensor> = {};
    for (const [i, p] of params.entries()) {
      feeds[`w${i}`] = new T('float32', await p.read(), [p.size]);
      feeds[`e${i}`] = new T('float32', this.e.get(p)!, [p.size]);
    }
    const sizes = params.map((p) => p.size);
    const out = await this.graphs.run(runtime, `restore ${sizes.join(',')}`, () => restoreModel(sizes), feeds);
    params.forEach((p, i) => { p.data = values(out[`w${i}.out`]); });
    this.e.clear();
  }

  /**
   * Appends the ascent to a fused training graph (the trainer's two-pass step): the perturbed parameters
   * for the gradients g1 at `ws`. The graph reads rho from the scalar input `<prefix>rho` (see fusedFeeds).
   */
  fusePerturbation(g: GraphBuilder, ws: readonly Value[], gs: readonly Value[], prefix = 'sam.'): Value[] {
    checkRho(this.rho);
    checkAdaptive(this.adaptive);
    const rho = g.input(`${prefix}rho`, 'float32', []);
    return samPerturbation(g, ws, gs, rho, this.adaptive).perturbed;
  }

  /** The scalar feeds of the graph part fusePerturbation appended (rho, so that editing it never rebuilds). */
  fusedFeeds(runtime: Runtime, prefix = 'sam.'): Record<string, Tensor> {
    checkRho(this.rho);
    return { [`${prefix}rho`]: new runtime.Tensor('float32', Float32Array.of(this.rho), []) };
  }

  protected async fusedInner(updates: readonly FusedUpdate<object>[], run: RunFused, parts: ReadonlyMap<Wrapper, unknown>): Promise<Record<string, Tensor>> {
    const own = this.fusedFeeds(await this.runtime());
    return stepFusedOf(this.base, updates, (feeds) => run({ ...feeds, ...own }), parts);
  }

  protected ownState() {
    const state: Record<string, Record<string, Float32Array>> = {};
    this.params.forEach((p, i) => {
      const e = this.e.get(p);
      if (e) state[String(i)] = { eW: StateArray.copyOf(e) };
    });
    return { state, counters: { rho: this.rho, adaptive: this.adaptive } };
  }

  protected checkOwnState(state: Record<string, Record<string, unknown>>, counters: Record<string, unknown>): () => void {
    checkRho(counters.rho);
    checkAdaptive(counters.adaptive);
    const params = this.params;
    const e = new Map<Parameter, Float32Array>();
    for (const [key, entry] of Object.entries(state)) {
      const p = params[Number(key)];
      const v = entry?.eW;
      if (!p) throw new RangeError(`SAM.loadStateDict: state for parameter ${key}, there are ${params.length}`);
      if (!isStateValues(v, p.size)) throw new RangeError(`SAM.loadStateDict: parameter '${p.name}': eW must be a Float32Array or an array of ${p.size} numbers, got ${describeStateValues(v)}`);
      e.set(p, Float32Array.from(v));
    }
    return () => {
      this.rho = counters.rho as number;
      this.adaptive = counters.adaptive as boolean;
      this.e = e;
    };
  }

  getConfig(): OptimizerConfig {
    return { name: 'SAM', options: { rho: this.rho, adaptive: this.adaptive }, base: configOf(this.base) };
  }

  /** Builds a SAM from its config; `resolveBase` builds the base from the base's config. */
  static fromConfig(params: Parameter[], config: OptimizerConfig, resolveBase: (params: Parameter[], config: OptimizerConfig) => Optimizable): SAM {
    if (!config.base) throw new RangeError("SAM.fromConfig: the config has no 'base'");
    return new SAM(params, resolveBase(params, config.base), config.options as SAMOptions & Record<string, unknown>);
  }

  protected async releaseOwn(): Promise<void> {
    await this.graphs.release();
  }
}

function checkRho(rho: unknown): void {
  if (typeof rho !== 'number' || !Number.isFinite(rho) || rho < 0) throw new RangeError(`SAM: invalid rho ${String(rho)} (must be a finite number >= 0)`);
}

function checkAdaptive(adaptive: unknown): void {
  if (typeof adaptive !== 'boolean') throw new TypeError(`SAM: invalid adaptive ${String(adaptive)} (must be true or false)`);
}

/** Inputs w<i>, g<i> (flat) and rho; outputs w<i>.out = w + e and e<i>. */
function perturbationModel(sizes: number[], adaptive: boolean) {
  const g = new GraphBuilder('sam_perturbation');
  const ws = sizes.map((n, i) => g.input(`w${i}`, 'float32', [n]));
  const gs = sizes.map((n, i) => g.input(`g${i}`, 'float32', [n]));
  const { perturbed, e } = samPerturbation(g, ws, gs, g.input('rho', 'float32', []), adaptive);
  perturbed.forEach((v, i) => g.output(v, `w${i}.out`));
  e.forEach((v, i) => g.output(v, `e${i}`));
  return g.build();
}

/** Inputs w<i> (perturbed) and e<i>; outputs w<i>.out = w - e. */
function restoreModel(sizes: number[]) {
  const g = new GraphBuilder('sam_restore');
  sizes.forEach((n, i) => g.output(g.sub(g.input(`w${i}`, 'float32', [n]), g.input(`e${i}`, 'float32', [n])), `w${i}.out`));
  return g.build();
}

