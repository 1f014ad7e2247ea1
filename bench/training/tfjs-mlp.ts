// The fixtures' MLP (Linear(64,128)-ReLU-Linear(128,10)) written by hand in TensorFlow.js on its wasm
// backend: tf.variableGrads for the gradients, tf.train.adam for the update, mean softmax cross-entropy.
import type * as TfCore from '@tensorflow/tfjs-core';
import { Contestant, timeBlock } from '../rounds';
import { Batch, CLASSES } from './batches';

type Tf = typeof TfCore;

export interface TfjsMlp extends Contestant {
  dispose(): void;
}

export function tfjsMlp(tf: Tf, batches: Batch[]): TfjsMlp {
  const init = (shape: [number, number], fanIn: number) => tf.randomUniform(shape, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), 'float32', 3);
  const w1 = tf.variable(init([64, 128], 64));
  const b1 = tf.variable(tf.zeros([128]));
  const w2 = tf.variable(init([128, 10], 128));
  const b2 = tf.variable(tf.zeros([10]));
  const xs = batches.map((b) => tf.tensor2d(b.x, [b.shape[0], b.shape[1]]));
  const ys = batches.map((b) => tf.oneHot(tf.tensor1d(b.labels, 'int32'), CLASSES));
  const opt = tf.train.adam(1e-3);
  let k = 0;
  const step = (): void => {
    const x = xs[k], y = ys[k];
    k = (k + 1) % xs.length;
    const { value, grads } = tf.variableGrads(() => {
      const hidden = tf.relu(tf.add(tf.matMul(x, w1), b1));
      return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(hidden, w2), b2)) as TfCore.Scalar;
    });
    opt.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
    value.dataSync(); // the loss as a number, as the other contestants return it
    value.dispose();
    tf.dispose(grads);
  };
  return {
    name: 'TensorFlow.js wasm',
    runBlock: (reps) => timeBlock(reps, step),
    dispose: () => {
      opt.dispose();
      tf.dispose([w1, b1, w2, b2, ...xs, ...ys]);
    },
  };
}
