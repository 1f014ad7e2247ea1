// The roundings and reductions adadamp does through Python floats and numpy, reproduced bit for bit.

/** Python's `int(np.ceil(x))` for the finite values a damper can produce; anything else is an error. */
export function ceilInt(x: number, what: string): number {
  if (!Number.isFinite(x)) throw new Error(`${what} is ${x}, not a finite number`);
  return Math.ceil(x);
}

/** numpy's `np.round(x)`: to the nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const d = x - f; // exact: f and x share the exponent range where a fraction exists
  const r = d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
  return r === 0 && x < 0 ? -0 : r; // rint keeps the sign: np.round(-0.5) is -0.0
}

function copysignZero(sign: number): number {
  return sign < 0 || Object.is(sign, -0) ? -0 : 0;
}

/**
 * Python's float floor division `a // b` (CPython's float_floor_div): floor((a - fmod(a, b)) / b), corrected
 * when the remainder's sign differs from b's. It is not Math.floor(a / b): `1.0 // 0.1` is 9.0, not 10.
 */
export function pyFloorDiv(a: number, b: number): number {
  if (b === 0) throw new RangeError(`float floor division by zero (${a} // ${b})`);
  let mod = a % b; // JavaScript's % on numbers is C's fmod, exact
  let div = (a - mod) / b;
  if (mod !== 0) {
    if (b < 0 !== mod < 0) {
      mod += b;
      div -= 1;
    }
  }
  if (div !== 0) {
    let floordiv = Math.floor(div);
    if (div - floordiv > 0.5) floordiv += 1;
    return floordiv;
  }
  return copysignZero(a / b);
}

type Numbers = ArrayLike<number>;

/** numpy's pairwise summation (`pairwise_sum` in its add loops), `round` applied after every addition. */
function pairwise(a: Numbers, start: number, n: number, round: (x: number) => number): number {
  if (n < 8) {
    let res = 0; // numpy starts these short sums from 0
    for (let i = 0; i < n; i++) res = round(res + a[start + i]);
    return res;
  }
  if (n <= 128) {
    const r = [a[start], a[start + 1], a[start + 2], a[start + 3], a[start + 4], a[start + 5], a[start + 6], a[start + 7]];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j] = round(r[j] + a[start + i + j]);
    }
    let res = round(round(round(r[0] + r[1]) + round(r[2] + r[3])) + round(round(r[4] + r[5]) + round(r[6] + r[7])));
    for (; i < n; i++) res = round(res + a[start + i]);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return round(pairwise(a, start, n2, round) + pairwise(a, start + n2, n - n2, round));
}

const identity = (x: number): number => x;

/** `np.sum` of a float64 vector: 0 + the pairwise sum. */
export function npSum(a: Numbers): number {
  return 0 + pairwise(a, 0, a.length, identity);
}

/** `np.mean` of a float64 vector: its sum divided by its length. */
export function npMean(a: Numbers): number {
  return npSum(a) / a.length;
}

/** `np.median`: the middle value, or the mean of the two middle values; NaN when any value is NaN. */
export function npMedian(a: Numbers): number {
  const sorted = Float64Array.from(a).sort();
  const n = sorted.length;
  if (n === 0 || Number.isNaN(sorted[n - 1])) return NaN; // typed-array sort puts NaN last
  const h = n >> 1;
  return n % 2 === 1 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
}

/** `np.min` / `np.max`: NaN when any value is NaN. */
export function npMin(a: Numbers): number {
  let m = Infinity;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i])) return NaN;
    if (a[i] < m) m = a[i];
  }
  return m;
}

export function npMax(a: Numbers): number {
  let m = -Infinity;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i])) return NaN;
    if (a[i] > m) m = a[i];
  }
  return m;
}

/**
 * `np.sum(g**2)` of one gradient as numpy computes it: for float32 each square and every partial sum is
 * rounded to float32 (numpy keeps float32 accumulators); for float64, plain float64 arithmetic.
 */
export function npSumSquares(g: Float32Array | Float64Array): number {
  const float32 = g instanceof Float32Array;
  const round = float32 ? Math.fround : identity;
  const squares = new Float64Array(g.length);
  for (let i = 0; i < g.length; i++) squares[i] = round(g[i] * g[i]);
  return round(0 + pairwise(squares, 0, squares.length, round));
}
