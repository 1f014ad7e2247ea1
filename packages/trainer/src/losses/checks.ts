import type { DType, Value } from '@ortrain/graph-builder';
import type { Reduction } from './types';

// Option and input checks shared by the losses. Bad options are RangeErrors naming the option and its value.

const show = (v: unknown): string => {
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return `[${Array.from(v as ArrayLike<unknown>).join(', ')}]`;
  return String(v);
};

/** Throws for option keys the loss does not know, so a misspelt option is not silently ignored. */
export function checkKnownKeys(kind: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new RangeError(`loss '${kind}': unknown option '${key}' (known: ${known.join(', ')})`);
    }
  }
}

export function checkReduction(kind: string, reduction: unknown): Reduction {
  if (reduction === undefined) return 'mean';
  if (reduction !== 'mean' && reduction !== 'sum') {
    throw new RangeError(`loss '${kind}': reduction must be 'mean' or 'sum', got ${show(reduction)}`);
  }
  return reduction;
}

/** A list of finite numbers >= 0 (a lone number becomes a list of one when `allowScalar`). */
export function checkWeights(kind: string, option: string, value: unknown, allowScalar: boolean): number[] {
  let list: number[];
  if (typeof value === 'number' && allowScalar) list = [value];
  else if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) list = Array.from(value as ArrayLike<number>);
  else throw new RangeError(`loss '${kind}': ${option} must be ${allowScalar ? 'a number or ' : ''}an array of numbers, got ${show(value)}`);
  if (list.length === 0) throw new RangeError(`loss '${kind}': ${option} is empty`);
  list.forEach((w, i) => {
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw new RangeError(`loss '${kind}': ${option}[${i}] must be a finite number >= 0, got ${show(w)}`);
    }
  });
  return list;
}

export function checkInteger(kind: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new RangeError(`loss '${kind}': ${option} must be an integer, got ${show(value)}`);
  }
  return value;
}

/** Resolves a possibly negative axis against a rank; throws naming the option when out of range. */
export function checkAxis(kind: string, option: string, axis: number, rank: number): number {
  if (axis < -rank || axis >= rank) {
    throw new RangeError(`loss '${kind}': ${option} ${axis} is out of range for a prediction of rank ${rank} (allowed ${-rank}..${rank - 1})`);
  }
  return axis < 0 ? axis + rank : axis;
}

const FLOATS: readonly DType[] = ['float32', 'float64', 'float16'];

export function checkFloatValue(kind: string, role: string, v: Value): void {
  if (v.dtype && !FLOATS.includes(v.dtype)) {
    throw new RangeError(`loss '${kind}': ${role} '${v.name}' must be a float tensor, got ${v.dtype}`);
  }
}

/** Labels of a regression-style loss: same element type and shape as the prediction, where known. */
export function checkSameShape(kind: string, prediction: Value, labels: Value): void {
  checkFloatValue(kind, 'prediction', prediction);
  if (prediction.dtype && labels.dtype && labels.dtype !== prediction.dtype) {
    throw new RangeError(`loss '${kind}': labels '${labels.name}' are ${labels.dtype}, the prediction '${prediction.name}' is ${prediction.dtype}; they must match`);
  }
  const p = prediction.shape;
  const l = labels.shape;
  if (!p || !l) return;
  const mismatch = p.length !== l.length || p.some((d, i) => typeof d === 'number' && typeof l[i] === 'number' && d !== l[i]);
  if (mismatch) {
    throw new RangeError(`loss '${kind}': labels '${labels.name}' of shape [${l.join(', ')}] do not fit the prediction '${prediction.name}' of shape [${p.join(', ')}]`);
  }
}
