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
