/** What a scheduler needs of an optimizer: its parameter groups' learning rates (an Optimizer has them). */
export interface LrGroups {
  paramGroups: { lr: number }[];
}

// torch keeps each group's first lr as group['initial_lr'] (setdefault, so a second scheduler on the same
// optimizer starts from it too). Here it is kept beside the group, so that the group's options stay the
// algorithm's own.
const initialLrs = new WeakMap<object, number>();

/** The learning rate a group had when the first scheduler took it over. */
export function initialLr(group: { lr: number }): number | undefined {
  return initialLrs.get(group);
}

export function checkCount(who: string, name: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new RangeError(`${who}: invalid ${name} ${String(v)} (must be an integer >= ${min})`);
  return v;
}

export function checkFinite(who: string, name: string, v: unknown, min = -Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new RangeError(`${who}: invalid ${name} ${String(v)} (must be a finite number${min > -Infinity ? ` >= ${min}` : ''})`);
  return v;
}

/** Python's modulo (the sign of the divisor), which torch's formulas use. */
export function pmod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/**
 * torch.optim.lr_scheduler's base (1.13): construction records each group's initial lr and takes the first
 * step (lastEpoch 0); every `step()` then sets each group's lr from the previous one (torch's chainable
 * forms), so schedulers compose and an lr edited by hand carries on. The lr is a graph input of the
 * optimizer's model: scheduling never rebuilds a session.
 */
export abstract class LRScheduler {
  lastEpoch: number;
  readonly baseLrs: number[];
  private lastLr: number[] = [];

  constructor(readonly optimizer: LrGroups, lastEpoch = -1) {
    const who = this.constructor.name;
    if (!optimizer || !Array.isArray(optimizer.paramGroups)) throw new TypeError(`${who}: expected an optimizer with paramGroups`);
    checkCount(who, 'lastEpoch', lastEpoch, -1);
    if (lastEpoch === -1) {
      for (const g of optimizer.paramGroups) if (!initialLrs.has(g)) initialLrs.set(g, g.lr);
    } else {
      optimizer.paramGroups.forEach((g, i) => {
        if (!initialLrs.has(g)) throw new RangeError(`${who}: lastEpoch ${lastEpoch} resumes a schedule, but group ${i} has no initial lr (create the first scheduler with lastEpoch -1)`);
      });
    }
    this.baseLrs = optimizer.paramGroups.map((g) => initialLrs.get(g)!);
    this.lastEpoch = lastEpoch;
  }

  /** Takes the first step; subclasses call it at the end of their constructor, once their fields are set. */
  protected start(): void {
    this.step();
  }

  /** Each group's lr for `lastEpoch`, from the groups' current lrs. */
  protected abstract getLr(): number[];

  /** Advances the schedule by one epoch (or step) and sets every group's lr. */
  step(): void {
    this.lastEpoch++;
    const values = this.getLr();
    this.optimizer.paramGroups.forEach((g, i) => { g.lr = values[i]; });
    this.lastLr = values;
  }

  /** The lrs the last step set. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  protected get groupLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): { lastEpoch: number; baseLrs: number[]; lastLr: number[] } {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr] };
  }

  loadStateDict(d: { lastEpoch: number; baseLrs: number[]; lastLr: number[] }): void {
    const who = this.constructor.name;
    checkCount(who, 'lastEpoch', d?.lastEpoch, -1);
    for (const key of ['baseLrs', 'lastLr'] as const) {
      const v = d[key];
      if (!Array.isArray(v) || v.length !== this.optimizer.paramGroups.length || v.some((x) => typeof x !== 'number')) {
        throw new RangeError(`${who}.loadStateDict: ${key} must be ${this.optimizer.paramGroups.length} numbers, got ${JSON.stringify(v)}`);
      }
    }
    this.lastEpoch = d.lastEpoch;
    this.baseLrs.splice(0, this.baseLrs.length, ...d.baseLrs);
    this.lastLr = [...d.lastLr];
  }
}

/** lr * gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  constructor(optimizer: LrGroups, options: { stepSize: number; gamma?: number; lastEpoch?: number }) {
    super(optimizer, options?.lastEpoch ?? -1);
    this.stepSize = checkCount('StepLR', 'stepSize', options.stepSize);
    this.gamma = checkFinite('StepLR', 'gamma', options.gamma ?? 0.1, 0);
    this.start();
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groupLrs;
    return this.groupLrs.map((lr) => lr * this.gamma);
  }
}

/** lr * gamma at each milestone epoch (a milestone given twice multiplies twice). */
export class MultiStepLR extends LRScheduler {
  readonly milestones: Map<number, number>;
  readonly gamma: number;
  constructor(optimizer: LrGroups, options: { milestones: number[]; gamma?: number; lastEpoch?: number }) {
    super(optimizer, options?.lastEpoch ?? -1);
    if (!Array.isArray(options.milestones)) throw new RangeError(`MultiStepLR: invalid milestones ${String(options.milestones)} (must be an array of integers)`);
    this.milestones = new Map();
    for (const m of options.milestones) {
      checkCount('MultiStepLR', 'milestones', m, 0);
      this.milestones.set(m, (this.milestones.get(m) ?? 0) + 1);
    }
    this.gamma = checkFinite('MultiStepLR', 'gamma', options.gamma ?? 0.1, 0);
    this.start();
  }
  protected getLr(): number[] {
    const count = this.milestones.get(this.lastEpoch);
    if (count === undefined) return this.groupLrs;
    return this.groupLrs.map((lr) => lr * this.gamma ** count);
  }
}

/** lr * factor until totalIters, then lr. */
export class ConstantLR extends LRScheduler {
  readonly factor: number;
  readonly totalIters: number;
  constructor(optimizer: LrGroups, options: { factor?: number; totalIters?: number; lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch ?? -1);
    const factor = options.factor ?? 1 / 3;
    if (typeof factor !== 'number' || !(factor >= 0 && factor <= 1)) throw new RangeError(`ConstantLR: invalid factor ${String(factor)} (must be in [0, 1])`);
    this.factor = factor;
    this.totalIters = checkCount('ConstantLR', 'totalIters', options.totalIters ?? 5, 0);
    this.start();
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groupLrs.map((lr) => lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return this.groupLrs;
    return this.groupLrs.map((lr) => lr * (1 / this.factor));
  }
}

/** lr * a factor going linearly from startFactor to endFactor over totalIters. */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;
  constructor(optimizer: LrGroups, options: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch ?? -1);
    const start = options.startFactor ?? 1 / 3;
    const end = options.endFactor ?? 1;
    if (typeof start !== 'number' || !(start > 0 && start <= 1)) throw new RangeError(`LinearLR: invalid startFactor ${String(start)} (must be in (0, 1])`);
    if (typeof end !== 'number' || !(end >= 0 && end <= 1)) throw new RangeError(`LinearLR: invalid endFactor ${String(end)} (must be in [0, 1])`);
    this.startFactor = start;
    this.endFactor = end;
    this.totalIters = checkCount('LinearLR', 'totalIters', options.totalIters ?? 5);
    this.start();
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groupLrs.map((lr) => lr * this.startFactor);
    if (this.lastEpoch > this.totalIters) return this.groupLrs;
    const d = this.endFactor - this.startFactor;
    return this.groupLrs.map((lr) => lr * (1 + d / (this.totalIters * this.startFactor + (this.lastEpoch - 1) * d)));
  }
}

/** lr * gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;
  constructor(optimizer: LrGroups, options: { gamma: number; lastEpoch?: number }) {
    super(optimizer, options?.lastEpoch ?? -1);
    this.gamma = checkFinite('ExponentialLR', 'gamma', options.gamma, 0);
    this.start();
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groupLrs;
    return this.groupLrs.map((lr) => lr * this.gamma);
  }
}

/** base lr * (1 - epoch / totalIters)^power, then 0. */
export class PolynomialLR extends LRScheduler {
  readonly totalIters: number;
  readonly power: number;
  constructor(optimizer: LrGroups, options: { totalIters?: number; power?: number; lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch ?? -1);
    this.totalIters = checkCount('PolynomialLR', 'totalIters', options.totalIters ?? 5);
    this.power = checkFinite('PolynomialLR', 'power', options.power ?? 1, 0);
    this.start();
  }
  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch > this.totalIters) return this.groupLrs;
    const f = ((1 - this.lastEpoch / this.totalIters) / (1 - (this.lastEpoch - 1) / this.totalIters)) ** this.power;
    return this.groupLrs.map((lr) => lr * f);
  }
}

/** Cosine annealing from the base lr to etaMin over TMax epochs, and back (torch's chainable form). */
export class CosineAnnealingLR extends LRScheduler {
  readonly TMax: number;
  readonly etaMin: number;
  constructor(optimizer: LrGroups, options: { TMax: number; etaMin?: number; lastEpoch?: number }) {
    super(optimizer, options?.lastEpoch ?? -1);
    this.TMax = checkCount('CosineAnnealingLR', 'TMax', options.TMax);
    this.etaMin = checkFinite('CosineAnnealingLR', 'etaMin', options.etaMin ?? 0, 0);
    this.start();
  }
  protected getLr(): number[] {
    const e = this.lastEpoch;
    const T = this.TMax;
    if (e === 0) return this.groupLrs;
    if (pmod(e - 1 - T, 2 * T) === 0) {
      return this.groupLrs.map((lr, i) => lr + ((this.baseLrs[i] - this.etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return this.groupLrs.map((lr) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (lr - this.etaMin) + this.etaMin);
  }
}

/** base lr * lambda(epoch); one function for every group, or one per group. */
export class LambdaLR extends LRScheduler {
  private readonly lambdas: ((epoch: number) => number)[];
  constructor(optimizer: LrGroups, lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[], options: { lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch ?? -1);
    this.lambdas = lambdas('LambdaLR', optimizer, lrLambda);
    this.start();
  }
  protected getLr(): number[] {
    return this.baseLrs.map((base, i) => base * this.lambdas[i](this.lastEpoch));
  }
}

/** lr * lambda(epoch) every epoch after the first. */
export class MultiplicativeLR extends LRScheduler {
  private readonly lambdas: ((epoch: number) => number)[];
  constructor(optimizer: LrGroups, lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[], options: { lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch ?? -1);
    this.lambdas = lambdas('MultiplicativeLR', optimizer, lrLambda);
    this.start();
  }
  protected getLr(): number[] {
    if (this.lastEpoch <= 0) return this.groupLrs;
    return this.groupLrs.map((lr, i) => lr * this.lambdas[i](this.lastEpoch));
  }
}

function lambdas(who: string, optimizer: LrGroups, f: ((epoch: number) => number) | ((epoch: number) => number)[]): ((epoch: number) => number)[] {
  const n = optimizer.paramGroups.length;
  if (typeof f === 'function') return Array.from({ length: n }, () => f);
  if (!Array.isArray(f) || f.length !== n || f.some((x) => typeof x !== 'function')) {
    throw new RangeError(`${who}: expected one lrLambda function, or one per group (${n}), got ${Array.isArray(f) ? `${f.length} entries` : typeof f}`);
  }
  return f;
}
