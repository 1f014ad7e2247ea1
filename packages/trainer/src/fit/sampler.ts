import { RandomStream, shuffle } from '../random';

/**
 * The order of each epoch with a fixed batch size, from one seeded stream whose state checkpoints save: a
 * fresh permutation per epoch (or the dataset's own order without shuffling), cut into consecutive batches.
 * (With a damper, batches come from @ortrain/damping's Sampler instead, as adadamp draws them.)
 */
export class EpochSampler {
  private readonly stream: RandomStream;

  constructor(private readonly n: number, seed: number) {
    this.stream = new RandomStream(seed);
  }

  get state(): number {
    return this.stream.state;
  }

  set state(value: number) {
    this.stream.state = value;
  }

  /** The order of one epoch: a permutation drawn from the stream, or 0..n-1. */
  epochOrder(shuffled: boolean): Uint32Array {
    const order = Uint32Array.from({ length: this.n }, (_, i) => i);
    return shuffled ? shuffle(order, () => this.stream.next()) : order;
  }
}
