// The damper protocol (adadamp's BaseDamper.step split in two: next() before an update, record() after it),
// its counters, the batch-size cap that turns into an lr factor, and the state dict.
import { ConvergenceError } from './convergence-error';
import { checkInteger, checkKnown, checkNumber } from './options';

/** Options every damper takes: adadamp's keyword arguments in camelCase, with its defaults. */
export interface DamperOptions {
  /** Examples in the training set (adadamp's `len(dataset)`). Required. */
  datasetSize: number;
  /** The optimizer's initial learning rate (adadamp reads it from the optimizer). Required. */
  lr: number;
  /** B0, the batch size damping starts from. Default 1. */
  initialBatchSize?: number;
  /**
   * Largest batch drawn; a larger damping value scales the lr by `maxBatchSize / damping` instead (and that lr
   * stays until the cap is hit again). Default (undefined or null) `datasetSize`; `Infinity` for no maximum.
   */
  maxBatchSize?: number | null;
  /** Updates between two damping() calls, once `wait` updates have passed. Default 20. */
  dwell?: number;
  /** Updates before damping() is called again after update 0. Default 100. */
  wait?: number;
}

/** What update k uses, from `next()`. */
export interface DamperStep {
  /** Examples to draw for the update: `int(min(capped damping, datasetSize))`, as adadamp draws them. */
  batchSize: number;
  /** Learning rate of every param group for the update. */
  lr: number;
  /** `lr` over the initial lr (1 until the batch size first hits `maxBatchSize`). */
  lrFactor: number;
  /** The damping value in force (adadamp's `meta["damping"]`), before the cap. */
  damping: number;
  /** Whether damping() was evaluated for this update (else the previous value was kept). */
  dampingCalled: boolean;
}

/** What happened in update k, for `record()`. */
export interface DamperRecord {
  /** Examples the update used. Default: the `batchSize` from `next()`. */
  examples?: number;
  /** The update's mean batch loss (adadamp's `batch_loss`); required by RadaDamp. */
  loss?: number;
  /** The update's squared gradient norm, summed over every parameter; required by RadaDamp. */
  gradNorm2?: number;
}

/** adadamp's `meta`: counters, the values in force, the options, and the damper's own state. */
export interface DamperMeta {
  /** adadamp's name for the damper ('padadamp', 'pradadamp', 'gd', ...). */
  damper: string;
  /** Updates recorded: k from `next()` until that update's `record()`, then k + 1. */
  modelUpdates: number;
  numExamples: number;
  /** numExamples / datasetSize. */
  epochs: number;
  datasetSize: number;
  /** Loss of the last recorded update, null before one. */
  batchLoss: number | null;
  /** The damping value in force, null before the first `next()`. */
  damping: number | null;
  /** Examples of the current (or last) update. */
  batchSize: number;
  /** The lr in force. */
  lr: number;
  lrFactor: number;
  initialLr: number;
  initialBatchSize: number;
  maxBatchSize: number;
  dwell: number;
  wait: number;
  [key: string]: unknown;
}

/** Everything a damper needs to continue exactly where it was; plain JSON. */
export interface DamperState {
  damper: string;
  modelUpdates: number;
  numExamples: number;
  batchLoss: number | null;
  damping: number | null;
  batchSize: number;
  lr: number;
  lrFactor: number;
  /** The decision of an update that `next()` made and `record()` has not closed, or null. */
  pending: DamperStep | null;
  /** The damper's own state (histories, initial loss or norm, running averages). */
  extra: Record<string, unknown>;
}

/** How a subclass describes itself to the base (not needed by users subclassing BaseDamper). */
export interface DamperKind {
  /** The class name, used in errors and state dicts. */
  className: string;
  /** adadamp's `meta["damper"]`. */
  damper: string;
  /** Option names the subclass adds. */
  options: readonly string[];
  /** GeoDampLR and CntsDampLR: maxBatchSize is initialBatchSize (lr decays instead of the batch growing). */
  maxIsInitial?: boolean;
}

const BASE_OPTIONS = ['datasetSize', 'lr', 'initialBatchSize', 'maxBatchSize', 'dwell', 'wait'] as const;

/**
 * adadamp's BaseDamper: a constant batch size, `initialBatchSize`. Subclasses override `damping()`.
 * Drive it with `await next()` before each update and `record()` after it.
 */
export class BaseDamper {
  readonly datasetSize: number;
  readonly lr: number;
  readonly initialBatchSize: number;
  readonly maxBatchSize: number;
  readonly dwell: number;
  readonly wait: number;

  protected readonly kind: DamperKind;
  protected modelUpdates = 0;
  protected numExamples = 0;
  private batchLoss: number | null = null;
  private dampingValue: number | null = null;
  private batchSize: number;
  private currentLr: number;
  private lrFactor = 1;
  private pending: DamperStep | null = null;
  private inFlight: Promise<DamperStep> | null = null;

  constructor(options: DamperOptions, kind: DamperKind = { className: 'BaseDamper', damper: 'basedamper', options: [] }) {
    const name = kind.className;
    if (options === null || typeof options !== 'object') {
      throw new RangeError(`${name}: options must be an object with at least datasetSize and lr, got ${String(options)}`);
    }
    checkKnown(name, options, [...BASE_OPTIONS, ...kind.options]);
    this.kind = kind;
    this.datasetSize = checkInteger(name, 'datasetSize', options.datasetSize, 1);
    this.lr = checkNumber(name, 'lr', options.lr, 0);
    this.initialBatchSize = checkNumber(name, 'initialBatchSize', options.initialBatchSize ?? 1, 1);
    this.dwell = checkNumber(name, 'dwell', options.dwell ?? 20, 1);
    this.wait = checkNumber(name, 'wait', options.wait ?? 100, 0);
    const max = options.maxBatchSize;
    if (kind.maxIsInitial) {
      // adadamp overwrites max_batch_size with initial_batch_size here; a different value would be ignored silently.
      if (max !== undefined && max !== null && max !== this.initialBatchSize) {
        throw new RangeError(`${name}: invalid maxBatchSize ${String(max)} (${name} fixes it to initialBatchSize, ${this.initialBatchSize}, and decays the lr instead)`);
      }
      this.maxBatchSize = this.initialBatchSize;
    } else if (max === undefined || max === null) {
      this.maxBatchSize = this.datasetSize;
    } else {
      if (typeof max !== 'number' || Number.isNaN(max) || max < this.initialBatchSize || max === -Infinity) {
        throw new RangeError(`${name}: invalid maxBatchSize ${String(max)} (must be a number >= initialBatchSize ${this.initialBatchSize}, or Infinity for no maximum)`);
      }
      this.maxBatchSize = max;
    }
    this.batchSize = Math.trunc(Math.min(this.initialBatchSize, this.datasetSize));
    this.currentLr = this.lr;
  }

  /**
   * The batch size and lr of update k (= meta.modelUpdates). damping() is evaluated when k == 0 or
   * (k >= wait and k % int(dwell) == 0); otherwise the previous value stands. Calling it again before
   * `record()` returns the same decision.
   */
  next(): Promise<DamperStep> {
    if (this.pending) return Promise.resolve({ ...this.pending });
    if (!this.inFlight) {
      this.inFlight = this.decide().then(
        (step) => ({ ...step }),
        (e: unknown) => {
          this.inFlight = null;
          throw e;
        },
      );
    }
    return this.inFlight;
  }

  private async decide(): Promise<DamperStep> {
    const k = this.modelUpdates;
    const dampingCalled = k === 0 || (k >= this.wait && k % Math.trunc(this.dwell) === 0);
    let damping = this.dampingValue as number;
    if (dampingCalled) {
      damping = await this.damping();
      if (typeof damping !== 'number' || Number.isNaN(damping)) {
        throw new Error(`${this.kind.className}.damping() returned ${String(damping)} at update ${k}, not a number`);
      }
    }
    let batchSize = damping;
    let lr = this.currentLr;
    let lrFactor = this.lrFactor;
    if (batchSize >= this.maxBatchSize) {
      // adadamp: lr = initial_lr * max_bs / batch_size, kept afterwards even when the batch size falls back.
      lr = (this.lr * this.maxBatchSize) / batchSize;
      lrFactor = this.lr === 0 ? this.maxBatchSize / batchSize : lr / this.lr; // as adadamp.json's lr_factor
      batchSize = this.maxBatchSize;
    }
    const step: DamperStep = { batchSize: Math.trunc(Math.min(batchSize, this.datasetSize)), lr, lrFactor, damping, dampingCalled };
    this.dampingValue = damping;
    this.batchSize = step.batchSize;
    this.currentLr = lr;
    this.lrFactor = lrFactor;
    this.pending = step;
    return step;
  }

  /** Closes update k: counters advance (modelUpdates, numExamples, batchLoss) and the damper takes its signals. */
  record(record: DamperRecord = {}): void {
    const name = `${this.kind.className}.record`;
    const step = this.pending;
    if (!step) {
      throw new Error(`${name}: no update in progress (update ${this.modelUpdates}); call and await next() first`);
    }
    const examples = checkInteger(name, 'examples', record.examples ?? step.batchSize, 0);
    for (const key of ['loss', 'gradNorm2'] as const) {
      const v = record[key];
      if (v !== undefined && typeof v !== 'number') throw new RangeError(`${name}: invalid ${key} ${String(v)} (must be a number)`);
    }
    this.checkRecord(record);
    const loss = record.loss;
    const epochs = this.numExamples / this.datasetSize;
    if (loss !== undefined && (loss >= 3e3 || Number.isNaN(loss)) && epochs > 1) {
      throw new ConvergenceError(`${this.kind.className}: the model is diverging; batch loss ${loss} at update ${this.modelUpdates} (epoch ${epochs})`);
    }
    this.modelUpdates += 1;
    this.numExamples += examples;
    this.batchLoss = loss ?? null;
    this.afterRecord(record);
    this.pending = null;
    this.inFlight = null;
  }

  /** adadamp's meta: a snapshot, as it stands now. */
  get meta(): DamperMeta {
    return {
      damper: this.kind.damper,
      modelUpdates: this.modelUpdates,
      numExamples: this.numExamples,
      epochs: this.numExamples / this.datasetSize,
      datasetSize: this.datasetSize,
      batchLoss: this.batchLoss,
      damping: this.dampingValue,
      batchSize: this.batchSize,
      lr: this.currentLr,
      lrFactor: this.lrFactor,
      initialLr: this.lr,
      initialBatchSize: this.initialBatchSize,
      maxBatchSize: this.maxBatchSize,
      dwell: this.dwell,
      wait: this.wait,
      ...this.extraMeta(),
    };
  }

  stateDict(): DamperState {
    if (this.inFlight && !this.pending) throw new Error(`${this.kind.className}.stateDict: next() has not resolved yet`);
    return {
      damper: this.kind.className,
      modelUpdates: this.modelUpdates,
      numExamples: this.numExamples,
      batchLoss: this.batchLoss,
      damping: this.dampingValue,
      batchSize: this.batchSize,
      lr: this.currentLr,
      lrFactor: this.lrFactor,
      pending: this.pending ? { ...this.pending } : null,
      extra: this.extraState(),
    };
  }

  /** Restores a `stateDict()`; a bad one throws a RangeError naming the field and leaves the damper as it was. */
  loadStateDict(state: DamperState): void {
    const name = `${this.kind.className}.loadStateDict`;
    if (this.inFlight && !this.pending) throw new Error(`${name}: next() has not resolved yet`);
    if (state === null || typeof state !== 'object') throw new RangeError(`${name}: the state dict must be an object, got ${String(state)}`);
    if (state.damper !== this.kind.className) {
      throw new RangeError(`${name}: the state dict is a ${String(state.damper)}'s, not a ${this.kind.className}'s`);
    }
    const modelUpdates = checkInteger(name, 'modelUpdates', state.modelUpdates, 0);
    const numExamples = checkInteger(name, 'numExamples', state.numExamples, 0);
    const batchLoss = checkNullableNumber(name, 'batchLoss', state.batchLoss);
    const damping = checkNullableNumber(name, 'damping', state.damping);
    const batchSize = checkInteger(name, 'batchSize', state.batchSize, 0);
    const lr = checkNumber(name, 'lr', state.lr, 0);
    const lrFactor = checkNumber(name, 'lrFactor', state.lrFactor, 0);
    let pending: DamperStep | null = null;
    if (state.pending !== null && state.pending !== undefined) {
      const p = state.pending;
      pending = {
        batchSize: checkInteger(name, 'pending.batchSize', p.batchSize, 0),
        lr: checkNumber(name, 'pending.lr', p.lr, 0),
        lrFactor: checkNumber(name, 'pending.lrFactor', p.lrFactor, 0),
        damping: checkAnyNumber(name, 'pending.damping', p.damping),
        dampingCalled: p.dampingCalled === true,
      };
    }
    if (modelUpdates > 0 && damping === null) throw new RangeError(`${name}: damping is null after ${modelUpdates} updates`);
    this.loadExtraState(state.extra ?? {}); // validates everything before it assigns anything
    this.modelUpdates = modelUpdates;
    this.numExamples = numExamples;
    this.batchLoss = batchLoss;
    this.dampingValue = damping;
    this.batchSize = batchSize;
    this.currentLr = lr;
    this.lrFactor = lrFactor;
    this.pending = pending;
    this.inFlight = null;
  }

  /** The damping value at update k (meta.modelUpdates). BaseDamper: initialBatchSize. */
  protected damping(): number | Promise<number> {
    return this.initialBatchSize;
  }

  /** Checks a record before anything changes (RadaDamp requires its signals). */
  protected checkRecord(_record: DamperRecord): void {}

  /** Takes a record's signals once the counters have advanced (adadamp's _step_callback). */
  protected afterRecord(_record: DamperRecord): void {}

  /** The damper's own options and state for `meta`. */
  protected extraMeta(): Record<string, unknown> {
    return {};
  }

  /** The damper's own state for `stateDict()`: plain JSON values. */
  protected extraState(): Record<string, unknown> {
    return {};
  }

  /** Restores `extraState()`: must validate every field before assigning any. */
  protected loadExtraState(_extra: Record<string, unknown>): void {}
}

/** A number, NaN and infinities included (losses may be any). */
export function checkAnyNumber(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number') throw new RangeError(`${where}: invalid ${name} ${String(v)} (must be a number)`);
  return v;
}

/** A number or null. */
export function checkNullableNumber(where: string, name: string, v: unknown): number | null {
  return v === null || v === undefined ? null : checkAnyNumber(where, name, v);
}

/** An array of numbers; null entries are NaN (JSON writes NaN as null). */
export function checkNumberArray(where: string, name: string, v: unknown): number[] {
  if (!Array.isArray(v) || v.some((x) => x !== null && typeof x !== 'number')) {
    throw new RangeError(`${where}: invalid ${name} (must be an array of numbers)`);
  }
  return (v as (number | null)[]).map((x) => (x === null ? NaN : x));
}
