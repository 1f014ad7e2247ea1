import { RandomStream, shuffle } from '../random';

/**
 * Which examples each batch holds, from one seeded stream whose state checkpoints save.
 *
 * With a fixed batch size an epoch is one pass over the dataset: a fresh permutation (or the dataset's own
 * order without shuffling) cut into consecutive batches. With a damper every update draws its batch afresh
 * from the whole dataset, as adadamp does (numpy's `choice(n, size, replace=False)`): the examples of one
 * batch are distinct, but successive batches are drawn with replacement, so an example may come back before
 * every other one has been seen, and an "epoch" is n examples seen.
 */
export class Sampler {
  private readonly stream: RandomStream;
  /** Scratch for the partial Fisher-Yates draw; restored to 0..n-1 after each draw. */
  private scratch: Uint32Array | undefined;

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

  /**
   * min(size, n) distinct examples drawn uniformly at random, in random order: a partial Fisher-Yates
   * shuffle, O(size) per draw, whose swaps are undone so that the next draw starts from 0..n-1 again.
   */
  draw(size: number): Uint32Array {
    const k = Math.min(size, this.n);
    const a = (this.scratch ??= Uint32Array.from({ length: this.n }, (_, i) => i));
    const picked = new Uint32Array(k);
    const swaps = new Uint32Array(k);
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(this.stream.next() * (this.n - i));
      swaps[i] = j;
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
      picked[i] = a[i];
    }
    for (let i = k - 1; i >= 0; i--) {
      const j = swaps[i];
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return picked;
  }
}
