/** Where a parameter's current values live when they are not (only) in `data`. */
export interface ParameterOwner {
  read(p: Parameter): Promise<Float32Array>;
}

/**
 * A trainable float32 tensor. `data` holds its values on the host; once an optimizer owns the parameter,
 * `data` is a view into the optimizer's buffer for the parameter group and is replaced by a fresh view after
 * every step (read `p.data` again after `step()`, or use `await p.read()`, which also works when the values
 * live on a device). Assigning `p.data` a new Float32Array of the same length sets the values.
 */
export class Parameter {
  /** The gradient for the next step, or null/undefined for none (the parameter is then skipped). */
  grad: Float32Array | null | undefined = null;
  /** Number of elements. */
  readonly size: number;
  /** @internal the optimizer group that holds the current values, if any. */
  owner: ParameterOwner | undefined;

  constructor(readonly name: string, public data: Float32Array, readonly shape: readonly number[]) {
    if (!(data instanceof Float32Array)) {
      throw new TypeError(`Parameter '${name}': data must be a Float32Array, got ${describe(data)}`);
    }
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new RangeError(`Parameter '${name}': shape must be non-negative integers, got ${JSON.stringify(shape)}`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length) {
      throw new RangeError(`Parameter '${name}': shape [${shape.join(', ')}] holds ${size} elements but data has ${data.length}`);
    }
    this.size = size;
    this.shape = [...shape];
  }

  /** The current values, wherever they live (a copy is not made on the CPU provider). */
  async read(): Promise<Float32Array> {
    return this.owner ? this.owner.read(this) : this.data;
  }
}

export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (ArrayBuffer.isView(x)) return `${x.constructor.name}(${(x as unknown as ArrayLike<number>).length})`;
  if (Array.isArray(x)) return `Array(${x.length})`;
  return typeof x === 'object' ? (x as object).constructor?.name ?? 'object' : `${typeof x} ${String(x)}`;
}
