import { checkCount, checkFinite, LrGroups } from './lr-scheduler';

export interface ReduceLROnPlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  /** One floor for every group, or one per group. */
  minLr?: number | number[];
  eps?: number;
}

/**
 * torch.optim.lr_scheduler.ReduceLROnPlateau (1.13): `step(metric)` multiplies every group's lr by `factor`
 * (down to minLr) once the metric has not improved by `threshold` for more than `patience` steps, then waits
 * `cooldown` steps. Changes smaller than eps are not made.
 */
export class ReduceLROnPlateau {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  private lastLr: number[];

  constructor(readonly optimizer: LrGroups, options: ReduceLROnPlateauOptions = {}) {
    const who = 'ReduceLROnPlateau';
    this.mode = options.mode ?? 'min';
    if (this.mode !== 'min' && this.mode !== 'max') throw new RangeError(`${who}: invalid mode ${String(this.mode)} (must be 'min' or 'max')`);
    this.factor = checkFinite(who, 'factor', options.factor ?? 0.1, 0);
    if (this.factor >= 1) throw new RangeError(`${who}: invalid factor ${this.factor} (must be < 1)`);
    this.patience = checkCount(who, 'patience', options.patience ?? 10, 0);
    this.threshold = checkFinite(who, 'threshold', options.threshold ?? 1e-4);
    this.thresholdMode = options.thresholdMode ?? 'rel';
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') throw new RangeError(`${who}: invalid thresholdMode ${String(this.thresholdMode)} (must be 'rel' or 'abs')`);
    this.cooldown = checkCount(who, 'cooldown', options.cooldown ?? 0, 0);
    const n = optimizer.paramGroups.length;
    const minLr = options.minLr ?? 0;
    if (Array.isArray(minLr)) {
      if (minLr.length !== n) throw new RangeError(`${who}: invalid minLr [${minLr.join(', ')}] (expected one per group, ${n})`);
      this.minLrs = minLr.map((m) => checkFinite(who, 'minLr', m, 0));
    } else {
      this.minLrs = Array.from({ length: n }, () => checkFinite(who, 'minLr', minLr, 0));
    }
    this.eps = checkFinite(who, 'eps', options.eps ?? 1e-8, 0);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  private isBetter(a: number, best: number): boolean {
    const t = this.threshold;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - t) : a < best - t;
    return this.thresholdMode === 'rel' ? a > best * (t + 1) : a > best + t;
  }

  /** Records the metric of an epoch (the validation loss, say) and lowers the lrs on a plateau. */
  step(metric: number): void {
    if (typeof metric !== 'number') throw new RangeError(`ReduceLROnPlateau.step: invalid metric ${String(metric)} (must be a number)`);
    this.lastEpoch++;
    if (this.isBetter(metric, this.best)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const next = Math.max(g.lr * this.factor, this.minLrs[i]);
        if (g.lr - next > this.eps) g.lr = next;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): { best: number | null; numBadEpochs: number; cooldownCounter: number; lastEpoch: number } {
    // JSON has no Infinity: the initial best is saved as null.
    return { best: Number.isFinite(this.best) ? this.best : null, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter, lastEpoch: this.lastEpoch };
  }

  loadStateDict(d: { best: number | null; numBadEpochs: number; cooldownCounter: number; lastEpoch: number }): void {
    const who = 'ReduceLROnPlateau.loadStateDict';
    if (d?.best !== null && typeof d?.best !== 'number') throw new RangeError(`${who}: invalid best ${String(d?.best)}`);
    checkCount(who, 'numBadEpochs', d.numBadEpochs, 0);
    checkCount(who, 'cooldownCounter', d.cooldownCounter, 0);
    checkCount(who, 'lastEpoch', d.lastEpoch, 0);
    this.best = d.best ?? (this.mode === 'min' ? Infinity : -Infinity);
    this.numBadEpochs = d.numBadEpochs;
    this.cooldownCounter = d.cooldownCounter;
    this.lastEpoch = d.lastEpoch;
  }
}
