import { GraphBuilder, Value } from '@ortrain/graph-builder';
import { StateArray, describeStateValues, isStateValues } from '@ortrain/optimizers';
import type { FusedUpdate, Parameter } from '@ortrain/optimizers';
import type { Runtime } from '@ortrain/runtime';
import type { Tensor } from 'onnxruntime-common';
import type { OptimizerConfig, ResolveConfig } from './config';
import { configOf } from './config';
import { GraphSessions } from './graph-sessions';
import { STAT_NAMES, UpdateStats, addUpdate, scoutRate, similarity, syncSlow } from './slow-graph';
import { Closure, Optimizable, RunFused, Wrapper, checkBase, describe, stepFusedOf } from './wrapper';

export interface SlowWeightsOptions {
  /** How far the slow weights move towards the fast ones at a sync, in [0, 1] (default 0.5). */
  syncRate?: number;
  /** Fast steps between syncs, an integer >= 1 (default 6). */
  syncPeriod?: number;
}

/** A flat float32 buffer of one parameter group: on the host, on the device, or both after a read-back. */
interface Flat { host?: Float32Array; device?: Tensor }

/** What a slow-weights wrapper appended to a fused training graph. */
export interface FusedSlowPart {
  /** True in the graph of a step that ends with a sync. */
  sync: boolean;
  prefix: string;
  /** Outputs holding the wrapper's state after the step (keep them on the device). */
  stateOutputs: string[];
  /** At a sync, per group, the output holding the fast weights after it (they replace the base's). */
  fastOutputs: string[];
}

/**
 * Slow weights over a base optimizer (Lookahead, Scout): the slow copies are taken from the parameters at
 * construction; every `syncPeriod` fast steps slow += rate * (fast - slow) and the fast weights become the
 * slow ones. The base's state is not reset at a sync. The sync is an ONNX graph, one run for every group.
 */
export abstract class SlowWeights extends Wrapper {
  syncRate: number;
  syncPeriod: number;
  /** Fast (base) steps taken. */
  fastSteps = 0;
  /** The rate of the last sync (Scout's varies), or undefined before the first. */
  lastSyncRate: number | undefined;
  private slow: Flat[];
  /** Scout's statistics of the updates since the last sync, per group. */
  private stats: Record<string, Flat>[] | undefined;
  private readonly sizes: number[][];
  private readonly graphs = new GraphSessions();
  private retired: Tensor[] = [];

  protected constructor(base: Optimizable, options: SlowWeightsOptions, private readonly scout: boolean) {
    const who = scout ? 'Scout' : 'Lookahead';
    checkBase(who, base);
    const { syncRate = 0.5, syncPeriod = 6, ...rest } = options ?? {};
    const unknown = Object.keys(rest);
    if (unknown.length) throw new RangeError(`${who}: unknown option '${unknown[0]}' (known: syncRate, syncPeriod)`);
    checkOptions(who, syncRate, syncPeriod);
    if (base instanceof Wrapper && base.chain.some((w) => w instanceof SlowWeights)) {
      throw new RangeError(`${who}: the base already keeps slow weights (${base.chain.map((w) => w.name).join(' > ')}); two syncs of the same weights make no sense`);
    }
    super(base);
    this.syncRate = syncRate;
    this.syncPeriod = syncPeriod;
    // Slow weights are cloned from the parameters' values now (holocron); on a device, sync the base first.
    this.sizes = this.paramGroups.map((g) => g.params.map((p: Parameter) => p.size));
    this.slow = this.paramGroups.map((g) => ({ host: concat(g.params.map((p: Parameter) => p.data)) }));
    if (scout) this.stats = this.sizes.map((s) => Object.fromEntries(STAT_NAMES.map((n) => [n, { host: new Float32Array(sum(s)) }])));
  }

  /** True when the next fast step ends with a sync. */
  get syncDue(): boolean {
    return (this.fastSteps % this.syncPeriod) + 1 === this.syncPeriod;
  }

  /** The base's step, then (Scout) the statistics of its update and, every syncPeriod steps, the sync: one run. */
  async step(closure?: Closure): Promise<number | undefined> {
    return this.exclusive('step', async () => {
      await this.runHooks('pre');
      this.check();
      const sync = this.syncDue;
      const before = this.scout ? await this.fastValues() : undefined;
      // Standalone, the base's step and the sync (Scout: its statistics) are two runs: keep what undoes the
      // first, so that a failed second leaves parameters and state as they were. (In a TrainingSession both
      // are one run and nothing needs keeping.)
      const undo = this.scout || sync ? await this.undoBaseStep() : undefined;
      const loss = await this.base.step(closure);
      if (undo) {
        try {
          await this.afterStep(before, sync);
        } catch (err) {
          await undo();
          throw err;
        }
      } else this.fastSteps++;
      await this.runHooks('post');
      return loss;
    });
  }

  /** What puts the base's parameters and state back as they are now. */
  private async undoBaseStep(): Promise<() => Promise<void>> {
    await this.base.sync();
    // stateDict() is the base's state as fresh copies (Float32Array), so it needs no clone.
    const state = this.base.stateDict();
    const params = this.paramGroups.flatMap((g) => g.params as Parameter[]);
    const values = await Promise.all(params.map(async (p) => Float32Array.from(await p.read())));
    return async () => {
      (this.base.loadStateDict as (dict: unknown) => void).call(this.base, state);
      params.forEach((p, i) => { p.data = values[i]; });
      await this.base.sync();
    };
  }

  /** Each group's current fast weights, as one flat host array (a copy). */
  private async fastValues(): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (const g of this.paramGroups) {
      const parts: Float32Array[] = [];
      for (const p of g.params) parts.push(await p.read());
      out.push(concat(parts));
    }
    return out;
  }

  private async afterStep(before: Float32Array[] | undefined, sync: boolean): Promise<void> {
    const runtime = await this.runtime();
    const T = runtime.Tensor;
    const fast = await this.fastValues();
    const flat = (a: Float32Array) => new T('float32', a, [a.length]);
    const feeds: Record<string, Tensor> = { ...this.scalarFeeds(runtime, 'la.') };
    fast.forEach((f, gi) => {
      feeds[`fast${gi}`] = flat(f);
      if (before) feeds[`prev${gi}`] = flat(before[gi]);
    });
    Object.assign(feeds, await this.stateFeeds(runtime, 'la.', true));
    const key = `${sync} ${this.sizes.map((s) => s.join(',')).join(';')}`;
    const out = await this.graphs.run(runtime, key, () => {
      const g = new GraphBuilder(this.scout ? 'scout_step' : 'lookahead_sync');
      const groups = this.sizes.map((s, gi) => ({
        fast: g.input(`fast${gi}`, 'float32', [sum(s)]),
        prev: this.scout ? g.input(`prev${gi}`, 'float32', [sum(s)]) : undefined,
      }));
      this.appendStep(g, groups, sync, 'la.');
      return g.build();
    }, feeds);
    this.commitOwn(out, sync, 'la.');
    if (sync) {
      // The fast weights take the slow ones (copies: the base owns its buffers).
      this.paramGroups.forEach((g, gi) => {
        const slow = this.slow[gi].host!;
        let at = 0;
        for (const p of g.params) {
          p.data = slow.slice(at, at + p.size);
          at += p.size;
        }
      });
    }
  }

  /** The scalar inputs of the next step's graph. */
  private scalarFeeds(runtime: Runtime, prefix: string): Record<string, Tensor> {
    const T = runtime.Tensor;
    const k = (this.fastSteps % this.syncPeriod) + 1;
    const scalar = (v: number) => new T('float32', Float32Array.of(v), []);
    const feeds: Record<string, Tensor> = { [`${prefix}syncRate`]: scalar(this.syncRate) };
    if (this.scout) {
      feeds[`${prefix}invK`] = scalar(1 / k);
      feeds[`${prefix}fresh`] = new T('bool', Uint8Array.of(k === 1 ? 1 : 0), []);
      feeds[`${prefix}invNm1`] = scalar(k > 1 ? 1 / (k - 1) : 0);
    }
    return feeds;
  }

  /** The wrapper's state as feeds (device tensors as they are, unless `host`). */
  private async stateFeeds(runtime: Runtime, prefix: string, host: boolean): Promise<Record<string, Tensor>> {
    const T = runtime.Tensor;
    const feeds: Record<string, Tensor> = {};
    const tensor = async (f: Flat) => {
      if (f.device && !host) return f.device;
      if (!f.host) f.host = Float32Array.from(await runtime.read<Float32Array>(f.device!));
      return new T('float32', f.host, [f.host.length]);
    };
    for (let gi = 0; gi < this.slow.length; gi++) {
      feeds[`${prefix}slow${gi}`] = await tensor(this.slow[gi]);
      if (this.stats) for (const n of STAT_NAMES) feeds[`${prefix}${n}${gi}`] = await tensor(this.stats[gi][n]);
    }
    return feeds;
  }

  /**
   * Appends one fast step's part to `g`, given each group's fast weights after the step and (Scout) before
   * it: the statistics of the update (Scout), and in a sync step the new slow weights (also the new fast
   * ones) and the rate. Inputs and outputs are named with `prefix`.
   */
  private appendStep(g: GraphBuilder, groups: { fast: Value; prev?: Value }[], sync: boolean, prefix: string): { rate?: Value; slow?: Value[] } {
    if (!this.scout && !sync) return {};
    const syncRate = g.input(`${prefix}syncRate`, 'float32', []);
    const slows = groups.map((_, gi) => g.input(`${prefix}slow${gi}`, 'float32', [sum(this.sizes[gi])]));
    let rate: Value = syncRate;
    if (this.scout) {
      const [invK, invNm1] = ['invK', 'invNm1'].map((n) => g.input(`${prefix}${n}`, 'float32', []));
      const fresh = g.input(`${prefix}fresh`, 'bool', []);
      const stats = groups.map((grp, gi) => {
        const s = Object.fromEntries(STAT_NAMES.map((n) => [n, g.input(`${prefix}${n}${gi}`, 'float32', [sum(this.sizes[gi])])])) as unknown as UpdateStats;
        return addUpdate(g, g.sub(grp.fast, grp.prev!), s, invK, fresh);
      });
      if (!sync) {
        stats.forEach((s, gi) => { for (const n of STAT_NAMES) g.output(s[n], `${prefix}${n}${gi}.out`); });
        return {};
      }
      const sims = stats.map((s) => similarity(g, s, invNm1));
      const tensors = this.sizes.flatMap((s, gi) => {
        let offset = 0;
        return s.map((size) => ({ value: gi, offset: (offset += size) - size, size, whole: s.length === 1 }));
      });
      rate = scoutRate(g, sims, tensors, syncRate);
    }
    if (!sync) return {};
    const slow = groups.map((grp, gi) => g.output(syncSlow(g, grp.fast, slows[gi], rate), `${prefix}slow${gi}.out`));
    g.output(this.scout ? rate : g.identity(rate), `${prefix}rate`);
    return { rate, slow };
  }

  /** Makes a step's outputs the wrapper's state. */
  private commitOwn(out: Record<string, Tensor>, sync: boolean, prefix: string): void {
    const flat = (t: Tensor): Flat => (t.location === 'gpu-buffer' ? { device: t } : { host: t.data as Float32Array });
    const retire = (f: Flat) => { if (f.device) this.retired.push(f.device); };
    if (sync) {
      this.slow = this.slow.map((old, gi) => { retire(old); return flat(out[`${prefix}slow${gi}.out`]); });
      this.lastSyncRate = Number((out[`${prefix}rate`].data as Float32Array)[0]);
    } else if (this.stats) {
      this.stats = this.stats.map((s, gi) => Object.fromEntries(STAT_NAMES.map((n) => { retire(s[n]); return [n, flat(out[`${prefix}${n}${gi}.out`])]; })));
    }
    this.fastSteps++;
  }

  /**
   * Appends the wrapper's part to a fused training graph, after the base's update of every group (`updates`,
   * applied already): the statistics (Scout) and, when `sync`, the sync. Build one graph with sync and one
   * without, and run the one `syncDue` asks for; `stepFused` takes the part in `parts`.
   */
  fuse(g: GraphBuilder, updates: readonly FusedUpdate<object>[], sync: boolean, prefix = 'la.'): FusedSlowPart {
    this.check();
    if (updates.length !== this.sizes.length || updates.some((u) => !u.newParam)) {
      throw new RangeError(`${this.name}.fuse: needs the applied update of each of the ${this.sizes.length} groups`);
    }
    const r = this.appendStep(g, updates.map((u) => ({ fast: u.newParam!, prev: u.param })), sync, prefix);
    const fastOutputs = sync ? r.slow!.map((s, gi) => g.output(g.identity(s), `${prefix}fast${gi}.out`).name) : [];
    const stateOutputs = sync
      ? this.sizes.map((_s, gi) => `${prefix}slow${gi}.out`)
      : this.scout ? this.sizes.flatMap((_, gi) => STAT_NAMES.map((n) => `${prefix}${n}${gi}.out`)) : [];
    return { sync, prefix, stateOutputs, fastOutputs };
  }

  protected async fusedInner(updates: readonly FusedUpdate<object>[], run: RunFused, parts: ReadonlyMap<Wrapper, unknown>): Promise<Record<string, Tensor>> {
    const part = parts.get(this) as FusedSlowPart | undefined;
    if (!part) throw new Error(`${this.name}.stepFused: the graph has no part of this wrapper (see fuse)`);
    this.check();
    if (part.sync !== this.syncDue) throw new Error(`${this.name}.stepFused: the graph was built for a ${part.sync ? '' : 'non-'}sync step, the next step ${this.syncDue ? 'syncs' : 'does not sync'}`);
    if (!part.sync && !this.scout) {
      // Lookahead between syncs: the graph holds nothing of it.
      const out = await stepFusedOf(this.base, updates, run, parts);
      this.fastSteps++;
      return out;
    }
    const runtime = await this.runtime();
    const own = { ...this.scalarFeeds(runtime, part.prefix), ...(await this.stateFeeds(runtime, part.prefix, false)) };
    const out = await stepFusedOf(this.base, updates, async (feeds) => {
      const results = { ...(await run({ ...feeds, ...own })) };
      if (part.sync) {
        // The fast weights after a sync are the new slow ones: they replace what the base computed.
        updates.forEach((u, gi) => {
          const name = u.newParam!.name;
          if (results[name].location === 'gpu-buffer') results[name].dispose();
          results[name] = results[part.fastOutputs[gi]];
        });
      }
      return results;
    }, parts);
    this.commitOwn(out, part.sync, part.prefix);
    for (const t of this.retired) t.dispose();
    this.retired = [];
    return out;
  }

  /** Options may have been edited since construction; groups may not have been added. */
  private check(): void {
    checkOptions(this.name, this.syncRate, this.syncPeriod);
    if (this.paramGroups.length !== this.sizes.length) {
      throw new RangeError(`${this.name}: the base has ${this.paramGroups.length} parameter groups, the wrapper was built over ${this.sizes.length}; build the wrapper after adding groups`);
    }
  }

  protected async syncOwn(): Promise<void> {
    const runtime = await this.runtime();
    const read = async (f: Flat) => { if (!f.host) f.host = Float32Array.from(await runtime.read<Float32Array>(f.device!)); };
    for (const f of this.slow) await read(f);
    if (this.stats) for (const s of this.stats) for (const n of STAT_NAMES) await read(s[n]);
  }

  protected ownState() {
    const state: Record<string, Record<string, Float32Array>> = {};
    let index = 0;
    this.sizes.forEach((sizes, gi) => {
      let at = 0;
      for (const size of sizes) {
        const entry: Record<string, Float32Array> = {};
        const take = (f: Flat, what: string) => {
          if (!f.host) throw new Error(`${this.name}.stateDict: the ${what} lives on the device; await sync() first`);
          return StateArray.copyOf(f.host.subarray(at, at + size));
        };
        entry.slow = take(this.slow[gi], 'slow weights');
        if (this.stats) for (const n of STAT_NAMES) entry[n] = take(this.stats[gi][n], `statistic '${n}'`);
        state[String(index++)] = entry;
        at += size;
      }
    });
    return { state, counters: { fastSteps: this.fastSteps, syncRate: this.syncRate, syncPeriod: this.syncPeriod, ...(this.lastSyncRate === undefined ? {} : { lastSyncRate: this.lastSyncRate }) } };
  }

  protected checkOwnState(state: Record<string, Record<string, unknown>>, counters: Record<string, unknown>): () => void {
    const who = `${this.name}.loadStateDict`;
    checkOptions(who, counters.syncRate, counters.syncPeriod);
    const fastSteps = counters.fastSteps;
    if (typeof fastSteps !== 'number' || !Number.isInteger(fastSteps) || fastSteps < 0) throw new RangeError(`${who}: fastSteps must be an integer >= 0, got ${String(fastSteps)}`);
    const last = counters.lastSyncRate;
    if (last !== undefined && typeof last !== 'number') throw new RangeError(`${who}: lastSyncRate must be a number, got ${describe(last)}`);
    const names = ['slow', ...(this.stats ? STAT_NAMES : [])];
    const slow: Float32Array[] = [];
    const stats: Record<string, Float32Array>[] = [];
    let index = 0;
    for (const sizes of this.sizes) {
      const total = sum(sizes);
      const bufs = Object.fromEntries(names.map((n) => [n, new Float32Array(total)]));
      let at = 0;
      for (const size of sizes) {
        const entry = state[String(index)];
        for (const n of names) {
          const v = entry?.[n];
          if (!isStateValues(v, size)) {
            throw new RangeError(`${who}: parameter ${index}: '${n}' must be a Float32Array or an array of ${size} numbers, got ${describeStateValues(v)}`);
          }
          bufs[n].set(v, at);
        }
        at += size;
        index++;
      }
      slow.push(bufs.slow);
      if (this.stats) stats.push(Object.fromEntries(STAT_NAMES.map((n) => [n, bufs[n]])));
    }
    if (Object.keys(state).length !== index) throw new RangeError(`${who}: the state dict has state for ${Object.keys(state).length} parameters, the wrapper ${index}`);
    return () => {
      this.syncRate = counters.syncRate as number;
      this.syncPeriod = counters.syncPeriod as number;
      this.fastSteps = fastSteps;
      this.lastSyncRate = last as number | undefined;
      for (const f of this.slow) if (f.device) f.device.dispose();
      this.slow = slow.map((host) => ({ host }));
      if (this.stats) {
        for (const s of this.stats) for (const n of STAT_NAMES) s[n].device?.dispose();
        this.stats = stats.map((s) => Object.fromEntries(STAT_NAMES.map((n) => [n, { host: s[n] }])));
      }
    };
  }

  getConfig(): OptimizerConfig {
    return { name: this.name, options: { syncRate: this.syncRate, syncPeriod: this.syncPeriod }, base: configOf(this.base) };
  }

  protected async releaseOwn(): Promise<void> {
    await this.graphs.release();
  }
}

/**
 * Lookahead (holocron's): `new Lookahead(new SGD(params, { lr: 0.1 }), { syncRate: 0.5, syncPeriod: 6 })`.
 * Every syncPeriod fast steps, slow += syncRate * (fast - slow) and fast = slow.
 */
export class Lookahead extends SlowWeights {
  readonly name = 'Lookahead' as const;

  constructor(base: Optimizable, options: SlowWeightsOptions = {}) {
    super(base, options, false);
  }

  static fromConfig(params: Parameter[], config: OptimizerConfig, resolveBase: ResolveConfig): Lookahead {
    if (!config.base) throw new RangeError("Lookahead.fromConfig: the config has no 'base'");
    return new Lookahead(resolveBase(params, config.base), config.options as SlowWeightsOptions);
  }
}

/**
 * Scout (holocron's): Lookahead whose rate at a sync is max(1 - coherence, syncRate), where coherence is the
 * mean over parameter tensors of the mean over elements of std(u) / max |u - mean(u)|, u the fast updates
 * since the last sync (unbiased std, as holocron). Where an element's updates do not vary at all (constant
 * updates, or syncPeriod 1 with its single update) holocron divides 0 by 0 and its weights become NaN; here
 * that element's ratio counts as 0, so constant updates give coherence 0 and rate 1 (the slow weights take
 * the fast ones), and everything stays finite. The statistics are running ones (Welford's mean and M2, max,
 * min) rather than a buffer of every update.
 */
export class Scout extends SlowWeights {
  readonly name = 'Scout' as const;

  constructor(base: Optimizable, options: SlowWeightsOptions = {}) {
    super(base, options, true);
  }

  static fromConfig(params: Parameter[], config: OptimizerConfig, resolveBase: ResolveConfig): Scout {
    if (!config.base) throw new RangeError("Scout.fromConfig: the config has no 'base'");
    return new Scout(resolveBase(params, config.base), config.options as SlowWeightsOptions);
  }
}

function checkOptions(who: string, syncRate: unknown, syncPeriod: unknown): void {
  if (typeof syncRate !== 'number' || !(syncRate >= 0 && syncRate <= 1)) throw new RangeError(`${who}: invalid syncRate ${String(syncRate)} (must be in [0, 1])`);
  if (typeof syncPeriod !== 'number' || !Number.isInteger(syncPeriod) || syncPeriod < 1) throw new RangeError(`${who}: invalid syncPeriod ${String(syncPeriod)} (must be an integer >= 1)`);
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(sum(parts.map((p) => p.length)));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
