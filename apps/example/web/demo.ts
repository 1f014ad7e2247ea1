// "Try the digits demo": the shipped digits MLP and CSV (copied beside the page by build.ts) and the settings
// the form gets. Pixels 0..16 scaled to 0..1, Adam at lr 0.005, 6 epochs of batch 16 through fit: a short
// run (540 steps) that holds out 20% of the rows and gets about 96.5% of them right (95.5% to 97% over
// seeds 0 to 3, in Node).
import type { TrainConfig } from './protocol';

export const DEMO_MODEL = 'demo/digits-mlp.onnx';
export const DEMO_DATA = 'demo/digits.csv';

export const DEMO_CONFIG: Omit<TrainConfig, 'backend'> = {
  labelColumn: 'label',
  featureScale: 1 / 16,
  trainable: '',
  loss: 'cross_entropy',
  optimizer: 'Adam',
  optimizerOptions: { lr: 0.005, weightDecay: 0, eps: 1e-8 },
  epochs: 6,
  batchSize: 16,
  damper: '',
  damperOptions: {},
  valSplit: 0.2,
  seed: 0,
};
