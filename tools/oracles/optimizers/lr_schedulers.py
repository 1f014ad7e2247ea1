"""torch 1.13 oracles for @ortrain/optimizers' lr schedulers and gradient clipping.

Writes packages/optimizers/test/data/lr_schedulers.json and clip_grad.json. Run with Debian's python3-torch:
    /usr/bin/python3 tools/oracles/optimizers/lr_schedulers.py
"""
import json
import math
import os

import torch
from torch.optim import SGD, lr_scheduler

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
OUT = os.path.join(ROOT, 'packages', 'optimizers', 'test', 'data')
STEPS = 30

# name, torch class, keyword arguments (torch names), our option names are the camelCase of these.
CASES = [
    ('StepLR', {'step_size': 3}),
    ('StepLR', {'step_size': 4, 'gamma': 0.5}),
    ('MultiStepLR', {'milestones': [2, 5, 5, 11]}),
    ('MultiStepLR', {'milestones': [10, 3], 'gamma': 0.3}),
    ('ConstantLR', {}),
    ('ConstantLR', {'factor': 0.5, 'total_iters': 8}),
    ('LinearLR', {}),
    ('LinearLR', {'start_factor': 0.1, 'end_factor': 0.9, 'total_iters': 12}),
    ('ExponentialLR', {'gamma': 0.9}),
    ('PolynomialLR', {}),
    ('PolynomialLR', {'total_iters': 20, 'power': 2.0}),
    ('CosineAnnealingLR', {'T_max': 10}),
    ('CosineAnnealingLR', {'T_max': 7, 'eta_min': 0.001}),
]

# LambdaLR and MultiplicativeLR take functions: the same functions are written in the test.
LAMBDAS = {
    'LambdaLR': [('0.95 ** epoch', lambda e: 0.95 ** e), ('1 / (1 + epoch)', lambda e: 1 / (1 + e))],
    'MultiplicativeLR': [('0.9 if epoch % 2 else 1.0', lambda e: 0.9 if e % 2 else 1.0)],
}

PLATEAU = [
    {},
    {'mode': 'max', 'factor': 0.5, 'patience': 2, 'threshold': 0.01, 'threshold_mode': 'abs', 'cooldown': 1, 'min_lr': 0.02},
    {'patience': 0, 'factor': 0.5, 'eps': 0.01},
]
# A metric that improves, stalls, and rises again.
METRICS = [1.0, 0.9, 0.85, 0.85, 0.86, 0.87, 0.849, 0.84, 0.84, 0.84, 0.85, 0.86, 0.87, 0.88, 0.7,
           0.7, 0.7, 0.7, 0.69, 0.71, 0.72, 0.73, 0.74, 0.75, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]


def groups():
    a = torch.zeros(2, requires_grad=True)
    b = torch.zeros(3, requires_grad=True)
    return SGD([{'params': [a], 'lr': 0.1}, {'params': [b], 'lr': 0.05}], lr=0.1)


def lrs(opt):
    return [g['lr'] for g in opt.param_groups]


def run(make, step):
    opt = groups()
    sched = make(opt)
    out = [lrs(opt)]
    for k in range(STEPS):
        opt.step()
        step(sched, k)
        out.append(lrs(opt))
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    entries = []
    for name, kwargs in CASES:
        cls = getattr(lr_scheduler, name)
        entries.append({'name': name, 'kwargs': kwargs,
                        'lrs': run(lambda o: cls(o, **kwargs), lambda s, k: s.step())})
    for name, fns in LAMBDAS.items():
        cls = getattr(lr_scheduler, name)
        for text, fn in fns:
            entries.append({'name': name, 'lambda': text,
                            'lrs': run(lambda o: cls(o, fn), lambda s, k: s.step())})
    for kwargs in PLATEAU:
        entries.append({'name': 'ReduceLROnPlateau', 'kwargs': kwargs, 'metrics': METRICS,
                        'lrs': run(lambda o: lr_scheduler.ReduceLROnPlateau(o, **kwargs), lambda s, k: s.step(METRICS[k]))})
    with open(os.path.join(OUT, 'lr_schedulers.json'), 'w') as f:
        json.dump({'torch_version': torch.__version__, 'steps': STEPS,
                   'groups': 'SGD with two groups, lr 0.1 and 0.05; lrs[0] after construction, lrs[k] after the k-th scheduler step',
                   'entries': entries}, f, indent=1)

    clips = []
    torch.manual_seed(0)
    grads = [torch.randn(3, 4), torch.randn(5), torch.randn(1)]
    for max_norm, norm_type in [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0), (0.5, math.inf), (2.0, 3.0)]:
        params = [torch.zeros_like(g, requires_grad=True) for g in grads]
        for p, g in zip(params, grads):
            p.grad = g.clone()
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
        clips.append({'fn': 'clip_grad_norm_', 'max_norm': max_norm, 'norm_type': 'inf' if norm_type == math.inf else norm_type,
                      'total_norm': float(total), 'grads_after': [p.grad.flatten().tolist() for p in params]})
    for value in [0.5, 10.0]:
        params = [torch.zeros_like(g, requires_grad=True) for g in grads]
        for p, g in zip(params, grads):
            p.grad = g.clone()
        torch.nn.utils.clip_grad_value_(params, value)
        clips.append({'fn': 'clip_grad_value_', 'clip_value': value, 'grads_after': [p.grad.flatten().tolist() for p in params]})
    with open(os.path.join(OUT, 'clip_grad.json'), 'w') as f:
        json.dump({'torch_version': torch.__version__, 'grads': [g.flatten().tolist() for g in grads],
                   'shapes': [list(g.shape) for g in grads], 'entries': clips}, f, indent=1)


if __name__ == '__main__':
    main()
