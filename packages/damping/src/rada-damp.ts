import { BaseDamper, checkNumberArray, checkNullableNumber, DamperOptions, DamperRecord } from './base-damper';
import { ceilInt, npMax, npMean, npMedian, npMin } from './numerics';
import { checkOneOf } from './options';

export const REDUCTIONS = ['min', 'median', 'mean', 'max'] as const;
export type Reduction = (typeof REDUCTIONS)[number];

export interface RadaDampOptions extends DamperOptions {
  /** How the losses and squared gradient norms recorded since the last damping() are reduced. Default 'min'. */
  reduction?: Reduction;
  /** Memory of the running averages, in [0, 1): high is slow and stable, low reacts fast. Default 0.2. */
  rho?: number;
}

const REDUCE: Record<Reduction, (a: number[]) => number> = { min: npMin, median: npMedian, mean: npMean, max: npMax };

/**
 * Rolling-average AdaDamp, on the signals of the updates themselves (`record({ loss, gradNorm2 })`):
 * B = ceil(max(B0 / (0.5 * (L / L_0 + N / N_0)), B0)), L and N running averages (weight rho on the old value) of the
 * reduced batch losses and squared gradient norms since the last evaluation; L_0 and N_0 are the reduced values at
 * the last evaluation with k <= max(dwell, wait).
 */
export class RadaDamp extends BaseDamper {
  readonly reduction: Reduction;
  readonly rho: number;
  private norm2Hist: number[] = [];
  private lossHist: number[] = [];
  private initial: [number, number] | null = null;
  private norm2Avg: number | null = null;
  private lossAvg: number | null = null;

  constructor(options: RadaDampOptions) {
    super(options, { className: 'RadaDamp', damper: 'pradadamp', options: ['reduction', 'rho'] });
    this.reduction = checkOneOf('RadaDamp', 'reduction', options.reduction ?? 'min', REDUCTIONS);
    const rho = options.rho ?? 0.2;
    if (typeof rho !== 'number' || !(rho >= 0 && rho < 1)) throw new RangeError(`RadaDamp: invalid rho ${String(rho)} (must be in [0, 1))`);
    this.rho = rho;
  }

  protected override checkRecord(record: DamperRecord): void {
    for (const key of ['loss', 'gradNorm2'] as const) {
      if (typeof record[key] !== 'number') {
        throw new RangeError(`RadaDamp.record: ${key} is required (the update's ${key === 'loss' ? 'mean batch loss' : 'squared gradient norm'}), got ${String(record[key])}`);
      }
    }
  }

  protected override afterRecord(record: DamperRecord): void {
    this.norm2Hist.push(record.gradNorm2 as number);
    this.lossHist.push(record.loss as number);
  }

  protected override damping(): number {
    const k = this.modelUpdates;
    if (k === 0) return this.initialBatchSize;
    const reduce = REDUCE[this.reduction];
    const norm2 = reduce(this.norm2Hist);
    const loss = reduce(this.lossHist);
    if (k <= Math.max(this.dwell, this.wait)) {
      // Still warming up: the reference values are the latest reductions; the histories keep growing.
      this.initial = [norm2, loss];
      this.norm2Avg = norm2;
      this.lossAvg = loss;
      return this.initialBatchSize;
    }
    if (this.initial === null || this.norm2Avg === null || this.lossAvg === null) {
      throw new Error(`RadaDamp: no reference values at update ${k} (a state dict without them?)`);
    }
    const [norm20, loss0] = this.initial;
    const norm2Avg = this.rho * this.norm2Avg + (1 - this.rho) * norm2;
    const lossAvg = this.rho * this.lossAvg + (1 - this.rho) * loss;
    const bs = this.initialBatchSize / (0.5 * (lossAvg / loss0 + norm2Avg / norm20));
    // Python's max(bs, B0) keeps bs unless B0 is larger (so a NaN bs stays NaN).
    const value = ceilInt(this.initialBatchSize > bs ? this.initialBatchSize : bs, `RadaDamp: the batch size at update ${k} (losses ${lossAvg}/${loss0}, norms ${norm2Avg}/${norm20})`);
    this.norm2Avg = norm2Avg;
    this.lossAvg = lossAvg;
    this.norm2Hist = [];
    this.lossHist = [];
    return value;
  }

  protected override extraMeta(): Record<string, unknown> {
    return {
      reduction: this.reduction,
      rho: this.rho,
      norm2Hist: [...this.norm2Hist],
      lossHist: [...this.lossHist],
      initial: this.initial ? [...this.initial] : null,
      norm2: this.norm2Avg,
      loss: this.lossAvg,
    };
  }

  protected override extraState(): Record<string, unknown> {
    return {
      norm2Hist: [...this.norm2Hist],
      lossHist: [...this.lossHist],
      initial: this.initial ? [...this.initial] : null,
      norm2: this.norm2Avg,
      loss: this.lossAvg,
    };
  }

  protected override loadExtraState(extra: Record<string, unknown>): void {
    const where = 'RadaDamp.loadStateDict';
    const norm2Hist = checkNumberArray(where, 'extra.norm2Hist', extra.norm2Hist);
    const lossHist = checkNumberArray(where, 'extra.lossHist', extra.lossHist);
    if (norm2Hist.length !== lossHist.length) throw new RangeError(`${where}: extra.norm2Hist has ${norm2Hist.length} values, extra.lossHist ${lossHist.length}`);
    let initial: [number, number] | null = null;
    if (extra.initial !== null && extra.initial !== undefined) {
      const pair = checkNumberArray(where, 'extra.initial', extra.initial);
      if (pair.length !== 2) throw new RangeError(`${where}: extra.initial must be [norm2, loss]`);
      initial = [pair[0], pair[1]];
    }
    const norm2 = checkNullableNumber(where, 'extra.norm2', extra.norm2);
    const loss = checkNullableNumber(where, 'extra.loss', extra.loss);
    this.norm2Hist = norm2Hist;
    this.lossHist = lossHist;
    this.initial = initial;
    this.norm2Avg = norm2;
    this.lossAvg = loss;
  }
}
