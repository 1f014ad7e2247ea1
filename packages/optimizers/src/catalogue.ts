import { Optimizer, OptimizerOptions, Params } from './optimizer';
import { registerClass } from './registry';
import { AdaBeliefOptions, adabelief } from './rules/adabelief';
import { AdamPOptions, adamp } from './rules/adamp';
import { AdEMAMixOptions, ademamix } from './rules/ademamix';
import { AdanOptions, adan } from './rules/adan';
import { LAMBOptions, lamb } from './rules/lamb';
import { LARSOptions, lars } from './rules/lars';
import { RaLarsOptions, ralars } from './rules/ralars';
import { TAdamOptions, tadam } from './rules/tadam';

/**
 * LARS, by default quadra's (lr required; momentum, dampening, weightDecay, nesterov, trustCoefficient 1e-3,
 * eps 1e-8; scaleClip and alwaysAdapt to reach holocron's documented formula). `compat: 'holocron'` reproduces
 * holocron's code, which departs from its own documentation: the momentum buffer takes the unscaled gradient
 * and the trust ratio of the current step multiplies the whole buffer, and scaleClip is stored but unused.
 * holocron's documented polynomial decay of the lr is `PolynomialLR` with power 2.
 */
export class LARS extends Optimizer<LARSOptions> {
  constructor(params: Params<LARSOptions>, options: OptimizerOptions<LARSOptions> = {}) {
    super(lars, params, options);
  }
}

/**
 * LAMB, by default bias-corrected as holocron documents (and the paper, timm): lr 1e-3, betas [0.9, 0.999],
 * eps 1e-8, weightDecay 0, scaleClip [0, 10]. holocron's code leaves out the bias correction (it follows
 * cybertronai's "paper v3" Lamb); `compat: 'holocron'` reproduces that.
 */
export class LAMB extends Optimizer<LAMBOptions> {
  constructor(params: Params<LAMBOptions>, options: OptimizerOptions<LAMBOptions> = {}) {
    super(lamb, params, options);
  }
}

/**
 * RaLars (holocron): RAdam with LARS's trust ratio. The default rectifies when rho_t > 5 as torch.optim.RAdam;
 * holocron's code uses 4 (`compat: 'holocron'`), which takes the rectified branch at step 5 where the official
 * RAdam does not.
 */
export class RaLars extends Optimizer<RaLarsOptions> {
  constructor(params: Params<RaLarsOptions>, options: OptimizerOptions<RaLarsOptions> = {}) {
    super(ralars, params, options);
  }
}

/** TAdam as holocron's code (the default; `compat: 'holocron'` is a no-op): dof null means each tensor's size. */
export class TAdam extends Optimizer<TAdamOptions> {
  constructor(params: Params<TAdamOptions>, options: OptimizerOptions<TAdamOptions> = {}) {
    super(tadam, params, options);
  }
}

/**
 * AdaBelief as the official adabelief-pytorch (eps added to s_t, as holocron documents); holocron's code
 * leaves that eps out (`compat: 'holocron'`). eps defaults to holocron's 1e-8 (adabelief-pytorch's is 1e-16).
 */
export class AdaBelief extends Optimizer<AdaBeliefOptions> {
  constructor(params: Params<AdaBeliefOptions>, options: OptimizerOptions<AdaBeliefOptions> = {}) {
    super(adabelief, params, options);
  }
}

/** AdamP as holocron's code (the default; `compat: 'holocron'` is a no-op): delta 0.1, amsgrad, L2 decay. */
export class AdamP extends Optimizer<AdamPOptions> {
  constructor(params: Params<AdamPOptions>, options: OptimizerOptions<AdamPOptions> = {}) {
    super(adamp, params, options);
  }
}

/**
 * Adan as the official sail-sg code (three betas [0.98, 0.92, 0.99]). holocron's code never stores the previous
 * gradient, so its gradient difference is the gradient itself (a bug), and adds L2 decay on top of the proximal
 * one; `compat: 'holocron'` reproduces it.
 */
export class Adan extends Optimizer<AdanOptions> {
  constructor(params: Params<AdanOptions>, options: OptimizerOptions<AdanOptions> = {}) {
    super(adan, params, options);
  }
}

/**
 * AdEMAMix as holocron's code (the default; `compat: 'holocron'` is a no-op); the official apple form with
 * `decoupledWeightDecay: true` and the `alphaWarmup` / `beta3Warmup` schedules.
 */
export class AdEMAMix extends Optimizer<AdEMAMixOptions> {
  constructor(params: Params<AdEMAMixOptions>, options: OptimizerOptions<AdEMAMixOptions> = {}) {
    super(ademamix, params, options);
  }
}

registerClass('LARS', LARS);
registerClass('LAMB', LAMB);
registerClass('RaLars', RaLars);
registerClass('TAdam', TAdam);
registerClass('AdaBelief', AdaBelief);
registerClass('AdamP', AdamP);
registerClass('Adan', Adan);
registerClass('AdEMAMix', AdEMAMix);
