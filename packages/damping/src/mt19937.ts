// The Mersenne Twister MT19937 as numpy's legacy RandomState runs it (seeded with an integer: init_genrand),
// and numpy's bounded integer draw by masking and rejection (random_interval).

const N = 624;
const M = 397;

export interface MT19937State {
  key: number[];
  pos: number;
}

export class MT19937 {
  private key = new Uint32Array(N);
  private pos = N;

  constructor(seed: number) {
    let s = seed >>> 0;
    for (let i = 0; i < N; i++) {
      this.key[i] = s;
      s = (Math.imul(1812433253, s ^ (s >>> 30)) + i + 1) >>> 0;
    }
    this.pos = N;
  }

  private twist(): void {
    const k = this.key;
    for (let i = 0; i < N; i++) {
      const y = (k[i] & 0x80000000) | (k[(i + 1) % N] & 0x7fffffff);
      k[i] = k[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.pos = 0;
  }

  /** The next 32-bit draw, tempered. */
  nextUint32(): number {
    if (this.pos >= N) this.twist();
    let y = this.key[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** numpy's random_interval(max): uniform in [0, max], for max < 2**32. */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let value: number;
    do value = (this.nextUint32() & mask) >>> 0;
    while (value > max);
    return value;
  }

  getState(): MT19937State {
    return { key: Array.from(this.key), pos: this.pos };
  }

  setState(state: MT19937State): void {
    this.key.set(state.key);
    this.pos = state.pos;
  }
}
