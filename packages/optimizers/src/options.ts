/** Option checks shared by the rules; each throws a RangeError naming the option and its value, as torch's ValueError. */

export type OptionValue = number | boolean | readonly number[] | undefined;

function show(v: unknown): string {
  return Array.isArray(v) ? `[${v.join(', ')}]` : String(v);
}

export function checkNumber(algo: string, name: string, v: unknown, min = 0, minInclusive = true): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (minInclusive ? v < min : v <= min)) {
    throw new RangeError(`${algo}: invalid ${name} ${show(v)} (must be a finite number ${minInclusive ? '>=' : '>'} ${min})`);
  }
  return v;
}

export function checkBool(algo: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new RangeError(`${algo}: invalid ${name} ${show(v)} (must be true or false)`);
  return v;
}

/** A coefficient in [0, 1). */
export function checkBeta(algo: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new RangeError(`${algo}: invalid ${name} ${show(v)} (must be in [0, 1))`);
  return v;
}

export function checkBetas(algo: string, v: unknown): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) throw new RangeError(`${algo}: invalid betas ${show(v)} (must be two numbers in [0, 1))`);
  checkBeta(algo, 'betas[0]', v[0]);
  checkBeta(algo, 'betas[1]', v[1]);
  return [v[0], v[1]];
}

/** Rejects option names the algorithm does not know (a misspelt or snake_case name would otherwise be ignored). */
export function checkKnown(algo: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (key === 'params') continue;
    if (!known.includes(key)) {
      throw new RangeError(`${algo}: unknown option '${key}' = ${show((options as Record<string, unknown>)[key])} (known: ${known.join(', ')})`);
    }
  }
}

/** Three coefficients in [0, 1) (Adan, AdEMAMix). */
export function checkBetas3(algo: string, v: unknown): [number, number, number] {
  if (!Array.isArray(v) || v.length !== 3) throw new RangeError(`${algo}: invalid betas ${show(v)} (must be three numbers in [0, 1))`);
  v.forEach((b, i) => checkBeta(algo, `betas[${i}]`, b));
  return [v[0], v[1], v[2]];
}

/** `compat`: null (this project's default) or one of the libraries whose code the class can reproduce. */
export function checkCompat(algo: string, v: unknown, known: readonly string[]): void {
  if (v !== null && v !== undefined && !known.includes(v as string)) {
    throw new RangeError(`${algo}: invalid compat ${show(v)} (known: ${known.map((k) => `'${k}'`).join(', ')}, or null)`);
  }
}

/** holocron's scale_clip: [lo, hi] bounds of the weight norm, 0 <= lo <= hi; null for none where allowed. */
export function checkScaleClip(algo: string, v: unknown, nullable: boolean): void {
  if (v === null && nullable) return;
  if (!Array.isArray(v) || v.length !== 2 || v.some((x) => typeof x !== 'number' || !Number.isFinite(x) && x !== Infinity) || !(v[0] >= 0) || !(v[0] <= v[1])) {
    throw new RangeError(`${algo}: invalid scaleClip ${show(v)} (must be [lo, hi] with 0 <= lo <= hi${nullable ? ', or null' : ''})`);
  }
}

/** A number > 0, or null where the option has a computed default (TAdam's dof). */
export function checkPositiveOrNull(algo: string, name: string, v: unknown): void {
  if (v === null) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new RangeError(`${algo}: invalid ${name} ${show(v)} (must be a finite number > 0, or null)`);
}

/** A non-negative integer, or null (a warm-up length). */
export function checkStepsOrNull(algo: string, name: string, v: unknown): void {
  if (v === null) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new RangeError(`${algo}: invalid ${name} ${show(v)} (must be an integer >= 0, or null)`);
}
