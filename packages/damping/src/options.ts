/** Option checks for the dampers; each throws a RangeError naming the damper, the option and its value. */

function show(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : String(v);
}

/** A finite number `>= min` (or `> min` when `minInclusive` is false). */
export function checkNumber(damper: string, name: string, v: unknown, min: number, minInclusive = true): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (minInclusive ? v < min : v <= min)) {
    throw new RangeError(`${damper}: invalid ${name} ${show(v)} (must be a finite number ${minInclusive ? '>=' : '>'} ${min})`);
  }
  return v;
}

/** An integer `>= min`. */
export function checkInteger(damper: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new RangeError(`${damper}: invalid ${name} ${show(v)} (must be an integer >= ${min})`);
  }
  return v;
}

export function checkBool(damper: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new RangeError(`${damper}: invalid ${name} ${show(v)} (must be true or false)`);
  return v;
}

export function checkOneOf<T extends string>(damper: string, name: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new RangeError(`${damper}: invalid ${name} ${show(v)} (must be one of ${allowed.map((a) => `'${a}'`).join(', ')})`);
  }
  return v as T;
}

export function checkFunction<T>(damper: string, name: string, v: unknown, what: string): T {
  if (typeof v !== 'function') throw new RangeError(`${damper}: invalid ${name} ${show(v)} (must be a function: ${what})`);
  return v as T;
}

/** Rejects option names the damper does not know (a misspelt or snake_case name would otherwise be ignored). */
export function checkKnown(damper: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new RangeError(`${damper}: unknown option '${key}' = ${show((options as Record<string, unknown>)[key])} (known: ${known.join(', ')})`);
    }
  }
}
