// The optimizers the optimizer section times, one row group each. To add one: its ortrain class name and
// options, the torch.optim class and keyword arguments of the same update (or none, when torch has no
// such class), and the bytes one step must move per parameter (the memory floor).
export interface BenchAlgorithm {
  /** Row label. */
  label: string;
  /** The class exported by @ortrain/optimizers, and its options. */
  ortrain: { className: string; options: Record<string, unknown> };
  /** The torch.optim class and its keyword arguments; absent when PyTorch has no peer. */
  torch?: { className: string; kwargs: Record<string, unknown> };
  /** Bytes read and written per parameter by one step, at the least (float32). */
  floorBytes: number;
  /** The plain TypeScript loop of bench/optimizer/plain-adam.ts applies (Adam with torch's defaults). */
  plainLoop?: boolean;
}

export const ALGORITHMS: BenchAlgorithm[] = [
  {
    label: 'Adam',
    ortrain: { className: 'Adam', options: { lr: 1e-3 } },
    torch: { className: 'Adam', kwargs: { lr: 1e-3 } },
    floorBytes: 28, // read p, g, m, v; write p, m, v
    plainLoop: true,
  },
  {
    label: 'AdamW',
    ortrain: { className: 'AdamW', options: { lr: 1e-3, weightDecay: 1e-2 } },
    torch: { className: 'AdamW', kwargs: { lr: 1e-3, weight_decay: 1e-2 } },
    floorBytes: 28,
  },
  {
    label: 'SGD momentum',
    ortrain: { className: 'SGD', options: { lr: 1e-2, momentum: 0.9 } },
    torch: { className: 'SGD', kwargs: { lr: 1e-2, momentum: 0.9 } },
    floorBytes: 20, // read p, g, buf; write p, buf
  },
];
