// Which examples each update trains on, drawn as adadamp draws them: every batch independently of the others
// (an example can come back in the next batch; there are no epochs of disjoint batches), no example twice
// within a batch. The same seed gives the same batches as adadamp's `random_state` (numpy's RandomState).
import { MT19937, MT19937State } from './mt19937';
import { checkInteger } from './options';

export interface SamplerOptions {
  /** Examples in the training set. */
  datasetSize: number;
  /** adadamp's `random_state`: an integer in [0, 2**32). Default 0. */
  seed?: number;
}

export interface SamplerState {
  datasetSize: number;
  seed: number;
  /** Batches drawn so far. */
  draws: number;
  mt: MT19937State;
}

export class Sampler {
  readonly datasetSize: number;
  readonly seed: number;
  private rng: MT19937;
  private drawsValue = 0;
  private order: Int32Array;

  constructor(options: SamplerOptions) {
    if (options === null || typeof options !== 'object') throw new RangeError(`Sampler: options must be an object with datasetSize, got ${String(options)}`);
    for (const key of Object.keys(options)) {
      if (key !== 'datasetSize' && key !== 'seed') throw new RangeError(`Sampler: unknown option '${key}' (known: datasetSize, seed)`);
    }
    this.datasetSize = checkInteger('Sampler', 'datasetSize', options.datasetSize, 1);
    if (this.datasetSize > 2 ** 31 - 1) throw new RangeError(`Sampler: invalid datasetSize ${this.datasetSize} (at most 2**31 - 1)`);
    const seed = options.seed ?? 0;
    if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`Sampler: invalid seed ${String(seed)} (must be an integer in [0, 2**32))`);
    }
    this.seed = seed;
    this.rng = new MT19937(seed);
    this.order = new Int32Array(this.datasetSize);
  }

  /** Batches drawn so far. */
  get draws(): number {
    return this.drawsValue;
  }

  /**
   * The indices of one batch of `int(min(batchSize, datasetSize))` distinct examples: numpy's
   * `RandomState.choice(datasetSize, size, replace=False)`, the head of a fresh permutation of the whole set.
   */
  sample(batchSize: number): Int32Array {
    if (typeof batchSize !== 'number' || Number.isNaN(batchSize) || batchSize < 0) {
      throw new RangeError(`Sampler.sample: invalid batchSize ${String(batchSize)} (must be a number >= 0)`);
    }
    const size = Math.trunc(Math.min(batchSize, this.datasetSize));
    const order = this.order;
    for (let i = 0; i < order.length; i++) order[i] = i;
    this.rng.shuffle(order);
    this.drawsValue += 1;
    return order.slice(0, size);
  }

  stateDict(): SamplerState {
    return { datasetSize: this.datasetSize, seed: this.seed, draws: this.drawsValue, mt: this.rng.getState() };
  }

  /** Restores a `stateDict()`; a bad one throws a RangeError and leaves the sampler as it was. */
  loadStateDict(state: SamplerState): void {
    const where = 'Sampler.loadStateDict';
    if (state === null || typeof state !== 'object') throw new RangeError(`${where}: the state dict must be an object, got ${String(state)}`);
    if (state.datasetSize !== this.datasetSize) {
      throw new RangeError(`${where}: the state dict is for a dataset of ${String(state.datasetSize)} examples, the sampler's has ${this.datasetSize}`);
    }
    const draws = checkInteger(where, 'draws', state.draws, 0);
    const mt = state.mt;
    if (
      !mt ||
      !Array.isArray(mt.key) ||
      mt.key.length !== 624 ||
      mt.key.some((x) => !Number.isInteger(x) || x < 0 || x > 0xffffffff) ||
      !Number.isInteger(mt.pos) ||
      mt.pos < 0 ||
      mt.pos > 624
    ) {
      throw new RangeError(`${where}: invalid mt (must be { key: 624 integers in [0, 2**32), pos: 0..624 })`);
    }
    this.rng.setState(mt);
    this.drawsValue = draws;
  }
}
