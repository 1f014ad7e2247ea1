import type { Tensor } from 'onnxruntime-common';
import type { TensorSpec } from './batch';
import { resolveShape } from './train-mode';
import type { DropoutMask } from './train-mode';

/**
 * Dropout masks of a training step, drawn from a seeded generator (mulberry32, as ../random.ts) whose one
 * 32-bit state checkpoints save: the same state and batch give the same masks on every platform. An element
 * is kept with probability 1 - ratio and then scaled by 1 / (1 - ratio), as torch's Dropout.
 */
export class DropoutMasks {
  /** The generator's state (an unsigned 32-bit integer). */
  state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The masks for a batch; the sizes of each mask's symbolic dimensions come from the batch's inputs. */
  draw(masks: readonly DropoutMask[], inputs: readonly TensorSpec[], batch: Record<string, Tensor>, Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => Tensor): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const m of masks) {
      const dims = resolveShape(m.shape, inputs, batch).map((size, axis) => {
        if (size === undefined) {
          throw new RangeError(`Dropout node '${m.node}': its mask needs the size '${String(m.shape[axis])}' of shape [${m.shape.join(', ')}], which no model input fixes; use mode: 'eval'`);
        }
        return size;
      });
      const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
      const keep = 1 - m.ratio;
      const scale = 1 / keep;
      for (let i = 0; i < data.length; i++) data[i] = this.next() < keep ? scale : 0;
      out[m.name] = new Tensor('float32', data, dims);
    }
    return out;
  }

  private next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
