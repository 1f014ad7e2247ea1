import { algorithm } from '../algorithm';
import { checkBool, checkKnown, checkNumber } from '../options';
import { gradientSign, learningRate } from '../transforms/learning-rate';
import { l2Decay } from '../transforms/weight-decay';

export interface AdagradOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
  maximize: boolean;
}

/** torch.optim.Adagrad (1.13): sum += g^2; p -= lr / (1 + (t - 1) lrDecay) * g / (sqrt(sum) + eps). */
export const adagrad = algorithm<AdagradOptions>({
  name: 'Adagrad',
  defaults: { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false },
  validate(o) {
    checkKnown('Adagrad', o, Object.keys(adagrad.defaults));
    checkNumber('Adagrad', 'lr', o.lr);
    checkNumber('Adagrad', 'lrDecay', o.lrDecay);
    checkNumber('Adagrad', 'weightDecay', o.weightDecay);
    checkNumber('Adagrad', 'initialAccumulatorValue', o.initialAccumulatorValue);
    checkNumber('Adagrad', 'eps', o.eps);
    checkBool('Adagrad', 'maximize', o.maximize);
  },
  before: [gradientSign((o) => o.maximize), l2Decay((o) => o.weightDecay)],
  rule: {
    name: 'adagrad',
    elementwise: true,
    structure: () => '',
    state: (o) => [{ name: 'sum', init: o.initialAccumulatorValue }],
    scalars: (o, t, _h, gs) => ({ values: { eps: o.eps }, scales: [gs / (1 + (t - 1) * o.lrDecay)] }),
    direction(g, a) {
      const sum = g.add(a.state.sum, g.mul(a.grad, a.grad));
      return { terms: [g.div(a.grad, g.add(g.sqrt(sum), a.scalars.eps))], state: { sum } };
    },
  },
  after: [learningRate((o) => o.lr)],
});
