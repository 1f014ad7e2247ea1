// Seeded randomness for training loops (shuffling, splits, sampling), the same on every platform.

/**
 * A seeded pseudo-random stream in [0, 1) (mulberry32) whose whole state is one 32-bit integer, so a loop
 * can save it in a checkpoint and continue the same stream after a restart.
 */
export class RandomStream {
  private a: number;

  constructor(seed: number) {
    this.a = seed >>> 0;
  }

  /** The next number in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** The stream's position: a stream set to it continues with the same numbers. */
  get state(): number {
    return this.a;
  }

  set state(value: number) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new RangeError(`random state: expected an integer in [0, 2^32), got ${String(value)}`);
    this.a = value;
  }
}

/** A seeded pseudo-random stream in [0, 1) (mulberry32): the same seed gives the same run everywhere. */
export function createRandom(seed: number): () => number {
  const stream = new RandomStream(seed);
  return () => stream.next();
}

/** Shuffles in place (Fisher-Yates) and returns the same array. */
export function shuffle<T extends { length: number; [i: number]: number }>(items: T, random: () => number): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}
