import type { Parameter } from './parameter';
import { Optimizer, OptimizerOptions, ParamGroupInput } from './optimizer';
import { AdagradOptions, adagradRule } from './rules/adagrad';
import { AdamOptions, adamRule } from './rules/adam';
import { AdamaxOptions, adamaxRule } from './rules/adamax';
import { AdamWOptions, adamwRule } from './rules/adamw';
import { NAdamOptions, nadamRule } from './rules/nadam';
import { RAdamOptions, radamRule } from './rules/radam';
import { RMSpropOptions, rmspropRule } from './rules/rmsprop';
import { SGDOptions, sgdRule } from './rules/sgd';

type Params<O> = readonly Parameter[] | readonly ParamGroupInput<O>[];

/** torch.optim.SGD: lr is required; momentum, dampening, weightDecay, nesterov, maximize. */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, options: OptimizerOptions<SGDOptions> = {}) {
    super(sgdRule, params, options);
  }
}

/** torch.optim.Adam: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, amsgrad, maximize; epsHat (dragon). */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: Params<AdamOptions>, options: OptimizerOptions<AdamOptions> = {}) {
    super(adamRule, params, options);
  }
}

/** torch.optim.AdamW: Adam with decoupled weight decay (default 1e-2). */
export class AdamW extends Optimizer<AdamWOptions> {
  constructor(params: Params<AdamWOptions>, options: OptimizerOptions<AdamWOptions> = {}) {
    super(adamwRule, params, options);
  }
}

/** torch.optim.Adamax: lr 2e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, maximize. */
export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: Params<AdamaxOptions>, options: OptimizerOptions<AdamaxOptions> = {}) {
    super(adamaxRule, params, options);
  }
}

/** torch.optim.Adagrad: lr 1e-2, lrDecay 0, weightDecay 0, initialAccumulatorValue 0, eps 1e-10, maximize. */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Params<AdagradOptions>, options: OptimizerOptions<AdagradOptions> = {}) {
    super(adagradRule, params, options);
  }
}

/** torch.optim.RMSprop: lr 1e-2, alpha 0.99, eps 1e-8, weightDecay 0, momentum 0, centered, maximize. */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Params<RMSpropOptions>, options: OptimizerOptions<RMSpropOptions> = {}) {
    super(rmspropRule, params, options);
  }
}

/** torch.optim.RAdam: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0. */
export class RAdam extends Optimizer<RAdamOptions> {
  constructor(params: Params<RAdamOptions>, options: OptimizerOptions<RAdamOptions> = {}) {
    super(radamRule, params, options);
  }
}

/** torch.optim.NAdam: lr 2e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, momentumDecay 4e-3. */
export class NAdam extends Optimizer<NAdamOptions> {
  constructor(params: Params<NAdamOptions>, options: OptimizerOptions<NAdamOptions> = {}) {
    super(nadamRule, params, options);
  }
}
