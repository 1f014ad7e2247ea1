import type { DType } from './dtype';

/** A dimension: a size, or a symbolic name such as 'batch'. */
export type Dim = number | string;

/** A named tensor in a graph under construction, with what is known of its type and shape. */
export class Value {
  constructor(
    readonly name: string,
    readonly dtype: DType | undefined,
    readonly shape: readonly Dim[] | undefined,
  ) {}

  /** The rank, when the shape is known. */
  get rank(): number | undefined {
    return this.shape?.length;
  }
}

/** A Value, or a plain number that becomes a scalar constant of the other operands' element type. */
export type ValueLike = Value | number;

let unknownCounter = 0;
/** A fresh symbolic dimension for a size the builder cannot know. */
export function unknownDim(): string {
  return `unk__${unknownCounter++}`;
}

/** ONNX multidirectional broadcasting of two shapes; throws when two fixed sizes disagree. */
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[], where: string): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i - (rank - a.length) >= 0 ? a[i - (rank - a.length)] : 1;
    const db = i - (rank - b.length) >= 0 ? b[i - (rank - b.length)] : 1;
    if (da === db) out.push(da);
    else if (da === 1) out.push(db);
    else if (db === 1) out.push(da);
    else if (typeof da === 'number' && typeof db === 'number') {
      throw new RangeError(`${where}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast (dimension ${i}: ${da} vs ${db})`);
    } else if (typeof da === 'number') out.push(da);
    else if (typeof db === 'number') out.push(db);
    else out.push(unknownDim());
  }
  return out;
}
