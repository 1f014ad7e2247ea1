import { describe } from './parameter';

/**
 * Saved per-element state: a Float32Array (what `stateDict()` hands over, as torch's state_dict holds
 * tensors) or a plain array of numbers (a state dict read back from JSON, or saved before typed arrays).
 */
export type StateValues = Float32Array | number[];

/**
 * A state tensor as `stateDict()` hands it over: a Float32Array copy (one memcpy; torch's state_dict holds
 * tensors) that JSON.stringify writes as a plain array of numbers, so a state dict still goes through JSON
 * and back as it did when it held number arrays.
 */
export class StateArray extends Float32Array {
  /** A copy of `values` in memory of its own. */
  static copyOf(values: Float32Array): StateArray {
    return new StateArray(values);
  }

  /** A StateArray over the same memory as `values` (no copy). */
  static viewOf(values: Float32Array): StateArray {
    return new StateArray(values.buffer as ArrayBuffer, values.byteOffset, values.length);
  }

  toJSON(): number[] {
    return Array.from(this);
  }
}

/** Whether `v` is `size` values of saved state. Only a plain array needs each element checked. */
export function isStateValues(v: unknown, size: number): v is StateValues {
  if (v instanceof Float32Array) return v.length === size;
  return Array.isArray(v) && v.length === size && v.every((x) => typeof x === 'number');
}

/**
 * What a bad saved state value is. JSON.stringify writes a Float32Array as an object with keys "0", "1", ...;
 * that form (a plain Float32Array of the user's own, not a StateArray) is refused (its keys say nothing of
 * order or length), and the message says how to write JSON.
 */
export function describeStateValues(v: unknown): string {
  const keyed = !!v && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) && '0' in v;
  return keyed ? `${describe(v)} with keys "0", "1", ... (a Float32Array through JSON.stringify? Write the dict with JSON.stringify(dict, (k, v) => v instanceof Float32Array ? Array.from(v) : v))` : describe(v);
}
