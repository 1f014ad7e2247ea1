import { floatAttr } from '@ortrain/graph-builder';
import { FdCase, avoiding, awayFromZero, runCases } from './finite-difference';

const kinks = (points: number[]) => avoiding(-5, 5, points, 0.1);

const cases: FdCase[] = [
  { name: 'Relu', op: 'Relu', inputs: [{ param: [3, 4], gen: awayFromZero(0.05) }] },
  { name: 'LeakyRelu alpha 0.1', op: 'LeakyRelu', attrs: { alpha: floatAttr(0.1) }, inputs: [{ param: [3, 4], gen: awayFromZero(0.05) }] },
  { name: 'LeakyRelu default', op: 'LeakyRelu', inputs: [{ param: [3, 4], gen: awayFromZero(0.05) }] },
  { name: 'PRelu per channel', op: 'PRelu', inputs: [{ param: [2, 3, 4], gen: awayFromZero(0.05) }, { param: [3, 1] }] },
  { name: 'Elu', op: 'Elu', attrs: { alpha: floatAttr(0.7) }, inputs: [{ param: [3, 4], gen: awayFromZero(0.05) }] },
  { name: 'Sigmoid', op: 'Sigmoid', inputs: [{ param: [3, 4] }] },
  { name: 'Tanh', op: 'Tanh', inputs: [{ param: [3, 4] }] },
  { name: 'Softplus', op: 'Softplus', inputs: [{ param: [3, 4] }] },
  { name: 'Softsign', op: 'Softsign', inputs: [{ param: [3, 4] }] },
  { name: 'HardSigmoid default', op: 'HardSigmoid', inputs: [{ param: [4, 6], gen: kinks([-2.5, 2.5]) }] },
  { name: 'HardSigmoid alpha 1/6 beta 0.5', op: 'HardSigmoid', attrs: { alpha: floatAttr(1 / 6), beta: floatAttr(0.5) }, inputs: [{ param: [4, 6], gen: kinks([-3, 3]) }] },
  { name: 'HardSwish', op: 'HardSwish', inputs: [{ param: [4, 6], gen: kinks([-3, 3]) }] },
  { name: 'Gelu (erf)', op: 'Gelu', opset: 20, inputs: [{ param: [3, 4] }] },
  { name: 'Gelu (tanh)', op: 'Gelu', opset: 20, attrs: { approximate: 'tanh' }, inputs: [{ param: [3, 4] }] },
  { name: 'Clip min and max inputs', op: 'Clip', inputs: [{ param: [4, 5], gen: kinks([-0.5, 0.5]) }, { constant: [-0.5], dtype: 'float', shape: [] }, { constant: [0.5], dtype: 'float', shape: [] }] },
  { name: 'Clip trainable bounds', op: 'Clip', inputs: [{ param: [4, 5], gen: kinks([-0.5, 0.5]) }, { param: [], gen: () => -0.5 }, { param: [], gen: () => 0.5 }] },
  { name: 'Clip min only', op: 'Clip', inputs: [{ param: [4, 5], gen: kinks([0.2]) }, { constant: [0.2], dtype: 'float', shape: [] }] },
  { name: 'Clip without bounds', op: 'Clip', inputs: [{ param: [4, 5] }] },
  { name: 'Clip opset 10 attributes', op: 'Clip', opset: 10, attrs: { min: floatAttr(-0.5), max: floatAttr(0.5) }, inputs: [{ param: [4, 5], gen: kinks([-0.5, 0.5]) }] },
  { name: 'Selu', op: 'Selu', inputs: [{ param: [3, 4], gen: awayFromZero(0.05) }] },
  { name: 'Celu alpha 0.5', op: 'Celu', attrs: { alpha: floatAttr(0.5) }, float32: true, inputs: [{ param: [3, 4], gen: awayFromZero(0.05) }] },
  { name: 'ThresholdedRelu', op: 'ThresholdedRelu', attrs: { alpha: floatAttr(0.3) }, inputs: [{ param: [3, 4], gen: kinks([0.3]) }] },
  { name: 'Mish', op: 'Mish', opset: 18, inputs: [{ param: [3, 4] }] },
  { name: 'Sin', op: 'Sin', inputs: [{ param: [3, 4] }] },
  { name: 'Cos', op: 'Cos', inputs: [{ param: [3, 4] }] },
  { name: 'Tan', op: 'Tan', inputs: [{ param: [3, 4] }] },
  { name: 'Atan', op: 'Atan', inputs: [{ param: [3, 4] }] },
  { name: 'Asin', op: 'Asin', inputs: [{ param: [3, 4], gen: (r) => 1.6 * r() - 0.8 }] },
  { name: 'Acos', op: 'Acos', inputs: [{ param: [3, 4], gen: (r) => 1.6 * r() - 0.8 }] },
  { name: 'Sinh', op: 'Sinh', inputs: [{ param: [3, 4] }] },
  { name: 'Cosh', op: 'Cosh', inputs: [{ param: [3, 4] }] },
  { name: 'Softmax last axis', op: 'Softmax', inputs: [{ param: [3, 5] }] },
  { name: 'Softmax axis 1 of 3', op: 'Softmax', attrs: { axis: 1 }, inputs: [{ param: [2, 3, 4] }] },
  { name: 'Softmax axis 0', op: 'Softmax', attrs: { axis: 0 }, inputs: [{ param: [3, 4] }] },
  { name: 'Softmax opset 11 (2-D coercion at axis 1)', op: 'Softmax', opset: 11, attrs: { axis: 1 }, inputs: [{ param: [2, 3, 4] }] },
  { name: 'LogSoftmax axis 1', op: 'LogSoftmax', attrs: { axis: 1 }, inputs: [{ param: [3, 5] }] },
  { name: 'LogSoftmax axis -2 of 3', op: 'LogSoftmax', attrs: { axis: -2 }, inputs: [{ param: [2, 3, 4] }] },
];

runCases('finite differences: activations and softmax', cases);
