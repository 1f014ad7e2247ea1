import { Optimizer, OptimizerOptions, Params } from './optimizer';
import { registerClass } from './registry';
import { AdagradOptions, adagrad } from './rules/adagrad';
import { AdamOptions, adam } from './rules/adam';
import { AdamaxOptions, adamax } from './rules/adamax';
import { AdamWOptions, adamw } from './rules/adamw';
import { NAdamOptions, nadam } from './rules/nadam';
import { RAdamOptions, radam } from './rules/radam';
import { RMSpropOptions, rmsprop } from './rules/rmsprop';
import { SGDOptions, sgd } from './rules/sgd';

/** torch.optim.SGD: lr is required; momentum, dampening, weightDecay, nesterov, maximize. */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, options: OptimizerOptions<SGDOptions> = {}) {
    super(sgd, params, options);
  }
}

/** torch.optim.Adam: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, amsgrad, maximize; epsHat (dragon). */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: Params<AdamOptions>, options: OptimizerOptions<AdamOptions> = {}) {
    super(adam, params, options);
  }
}

/** torch.optim.AdamW: Adam with decoupled weight decay (default 1e-2). */
export class AdamW extends Optimizer<AdamWOptions> {
  constructor(params: Params<AdamWOptions>, options: OptimizerOptions<AdamWOptions> = {}) {
    super(adamw, params, options);
  }
}

/** torch.optim.Adamax: lr 2e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, maximize. */
export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: Params<AdamaxOptions>, options: OptimizerOptions<AdamaxOptions> = {}) {
    super(adamax, params, options);
  }
}

/** torch.optim.Adagrad: lr 1e-2, lrDecay 0, weightDecay 0, initialAccumulatorValue 0, eps 1e-10, maximize. */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Params<AdagradOptions>, options: OptimizerOptions<AdagradOptions> = {}) {
    super(adagrad, params, options);
  }
}

/** torch.optim.RMSprop: lr 1e-2, alpha 0.99, eps 1e-8, weightDecay 0, momentum 0, centered, maximize. */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Params<RMSpropOptions>, options: OptimizerOptions<RMSpropOptions> = {}) {
    super(rmsprop, params, options);
  }
}

/** torch.optim.RAdam: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0. */
export class RAdam extends Optimizer<RAdamOptions> {
  constructor(params: Params<RAdamOptions>, options: OptimizerOptions<RAdamOptions> = {}) {
    super(radam, params, options);
  }
}

/** torch.optim.NAdam: lr 2e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, momentumDecay 4e-3. */
export class NAdam extends Optimizer<NAdamOptions> {
  constructor(params: Params<NAdamOptions>, options: OptimizerOptions<NAdamOptions> = {}) {
    super(nadam, params, options);
  }
}

// Explicit names: a minifier may rename classes.
registerClass('SGD', SGD);
registerClass('Adam', Adam);
registerClass('AdamW', AdamW);
registerClass('Adamax', Adamax);
registerClass('Adagrad', Adagrad);
registerClass('RMSprop', RMSprop);
registerClass('RAdam', RAdam);
registerClass('NAdam', NAdam);
