import type { Dim } from '@ortrain/graph-builder';
import { NodeAttrs } from './attrs';

/** The sliding-window geometry of a Conv or pooling node: per spatial axis, with explicit pads where known. */
export interface Window {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** [begin..., end...] as ONNX orders them; undefined when auto_pad SAME needs sizes we do not know. */
  pads: number[] | undefined;
  autoPad: string;
  ceilMode: boolean;
}

/** Reads kernel (from `kernel` when the attribute is absent, as Conv allows), strides, dilations and pads. */
export function readWindow(attrs: NodeAttrs, spatialIn: readonly Dim[], kernel?: number[]): Window {
  const k = attrs.ints('kernel_shape') ?? kernel;
  if (!k) throw new RangeError(`${attrs.node.opType} node '${attrs.node.name}': kernel_shape unknown`);
  const n = k.length;
  const strides = attrs.ints('strides') ?? new Array(n).fill(1);
  const dilations = attrs.ints('dilations') ?? new Array(n).fill(1);
  const autoPad = attrs.string('auto_pad', 'NOTSET');
  const ceilMode = attrs.int('ceil_mode', 0) === 1;
  let pads: number[] | undefined = attrs.ints('pads') ?? new Array(2 * n).fill(0);
  if (autoPad === 'VALID') pads = new Array(2 * n).fill(0);
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    if (spatialIn.some((d) => typeof d !== 'number')) pads = undefined;
    else {
      pads = new Array(2 * n).fill(0);
      for (let i = 0; i < n; i++) {
        const x = spatialIn[i] as number;
        const out = Math.ceil(x / strides[i]);
        const total = Math.max(0, (out - 1) * strides[i] + (k[i] - 1) * dilations[i] + 1 - x);
        const small = Math.floor(total / 2);
        pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
        pads[i + n] = total - pads[i];
      }
    }
  }
  return { kernel: k, strides, dilations, pads, autoPad, ceilMode };
}

/** Output sizes along the spatial axes; symbolic ones stay unknown (undefined entries). */
export function windowOutput(w: Window, spatialIn: readonly Dim[]): (number | undefined)[] {
  return spatialIn.map((d, i) => {
    if (typeof d !== 'number') return undefined;
    if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return Math.ceil(d / w.strides[i]);
    const pads = w.pads!;
    const span = d + pads[i] + pads[i + w.kernel.length] - ((w.kernel[i] - 1) * w.dilations[i] + 1);
    const q = span / w.strides[i];
    let out = (w.ceilMode ? Math.ceil(q) : Math.floor(q)) + 1;
    // With ceil_mode the last window must start inside the input or its begin padding.
    if (w.ceilMode && (out - 1) * w.strides[i] >= d + pads[i]) out--;
    return out;
  });
}
