// The Mersenne Twister MT19937 as numpy's legacy RandomState runs it (seeded with an integer: init_genrand),
// and RandomState's shuffle, whose bounded draws mask and reject as numpy's random_interval does.

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
    let i = 0;
    for (; i < N - M; i++) {
      const y = (k[i] & 0x80000000) | (k[i + 1] & 0x7fffffff);
      k[i] = k[i + M] ^ (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
    }
    for (; i < N - 1; i++) {
      const y = (k[i] & 0x80000000) | (k[i + 1] & 0x7fffffff);
      k[i] = k[i + M - N] ^ (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
    }
    const y = (k[N - 1] & 0x80000000) | (k[0] & 0x7fffffff);
    k[N - 1] = k[M - 1] ^ (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
    this.pos = 0;
  }

  /**
   * numpy's legacy shuffle of `order` in place (RandomState.shuffle): Fisher-Yates from the end with
   * j = random_interval(i). The generator and the masked rejection are inlined: this is the sampler's whole cost.
   */
  shuffle(order: Int32Array): void {
    const k = this.key;
    let pos = this.pos;
    for (let i = order.length - 1; i > 0; i--) {
      let mask = i;
      mask |= mask >>> 1;
      mask |= mask >>> 2;
      mask |= mask >>> 4;
      mask |= mask >>> 8;
      mask |= mask >>> 16;
      let j: number;
      do {
        if (pos >= N) {
          this.twist();
          pos = 0;
        }
        let y = k[pos++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        j = y & mask;
      } while (j > i);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    this.pos = pos;
  }

  getState(): MT19937State {
    return { key: Array.from(this.key), pos: this.pos };
  }

  setState(state: MT19937State): void {
    this.key.set(state.key);
    this.pos = state.pos;
  }
}
