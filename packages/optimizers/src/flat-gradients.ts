import type { TensorSlot } from './compile';
import type { Parameter } from './parameter';

/** A group's gradients as one flat array, as its step graph reads them. */
export class FlatGradients {
  private buffer: Float32Array | undefined;
  /** The gradients of the last gather that shared one buffer, and the flat view over them. */
  private lastShared: { grads: readonly Float32Array[]; flat: Float32Array } | undefined;

  constructor(private readonly slots: readonly TensorSlot[], private readonly size: number) {}

  private flat(): Float32Array {
    return (this.buffer ??= new Float32Array(this.size));
  }

  /**
   * The gradients as one flat array: the memory they already share when they lie back to back in one buffer
   * in group order (attachViews, one tensor, or a caller's own flat buffer), else a copy into the group's
   * gradient buffer.
   */
  gather(grads: readonly Float32Array[]): Float32Array {
    // The same gradient arrays as last step (attachViews' views, step after step) lie where they lay: the
    // view made then still covers them.
    const last = this.lastShared;
    if (last && last.grads.length === grads.length && grads.every((g, i) => g === last.grads[i])) return last.flat;
    const first = grads[0];
    let contiguous = true;
    for (let i = 1; i < grads.length && contiguous; i++) {
      contiguous = grads[i].buffer === first.buffer && grads[i].byteOffset === first.byteOffset + this.slots[i].offset * 4;
    }
    if (contiguous) {
      const flat = grads.length === 1 ? first : new Float32Array(first.buffer, first.byteOffset, this.size);
      this.lastShared = { grads: [...grads], flat };
      return flat;
    }
    this.lastShared = undefined;
    const buf = this.flat();
    grads.forEach((g, i) => buf.set(g, this.slots[i].offset));
    return buf;
  }

  /** Gives every parameter a .grad that is a view into the flat buffer, so a step copies no gradient. */
  attachViews(params: readonly Parameter[]): void {
    const buf = this.flat();
    params.forEach((p, i) => {
      p.grad = buf.subarray(this.slots[i].offset, this.slots[i].offset + this.slots[i].size);
    });
  }
}
