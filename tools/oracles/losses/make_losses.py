"""Oracle values for ortrain's losses, from PyTorch (Debian's python3-torch 1.13).

Each case holds a prediction and labels (float32-representable values), the loss spec in ortrain's
TypeScript form, torch's loss and torch's gradient of the loss w.r.t. the prediction. torch runs in float64 on
the float32 values, so the oracle is the exact formula, not one float32 rounding of it.

Run: /usr/bin/python3 tools/oracles/losses/make_losses.py
Writes packages/trainer/test/fixtures/losses.json.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'packages', 'trainer', 'test', 'fixtures', 'losses.json')

gen = torch.Generator().manual_seed(20261121)


def floats(shape, scale=2.0, dtype=torch.float32):
    return (torch.randn(*shape, generator=gen) * scale).to(dtype)


def ints(shape, high):
    return torch.randint(0, high, shape, generator=gen, dtype=torch.int64)


def num(x):
    x = float(x)
    return 'NaN' if math.isnan(x) else ('Infinity' if x == math.inf else ('-Infinity' if x == -math.inf else x))


def tensor_json(t, dtype):
    flat = t.detach().reshape(-1).tolist()
    return {'dtype': dtype, 'shape': list(t.shape), 'data': [num(v) if dtype.startswith('float') else int(v) for v in flat]}


cases = []


def add(name, spec, pred, labels, fn, dtype='float32'):
    """fn(prediction float64 with grad, labels) -> scalar loss, as torch computes it."""
    x = pred.to(torch.float64).clone().requires_grad_(True)
    y = labels.to(torch.float64) if labels.dtype.is_floating_point else labels
    loss = fn(x, y)
    finite = bool(torch.isfinite(loss))
    if finite:
        loss.backward()
    cases.append({
        'name': name,
        'spec': spec,
        'prediction': tensor_json(pred, dtype),
        'labels': tensor_json(labels, 'float32' if labels.dtype.is_floating_point else 'int64'),
        'loss': num(loss),
        'grad': tensor_json(x.grad, 'float64') if finite else None,
    })


def ce(**kw):
    weight = kw.pop('weight', None)

    def fn(x, y):
        w = torch.tensor(weight, dtype=torch.float64) if weight is not None else None
        return F.cross_entropy(x, y, weight=w, **kw)
    return fn


def ce_last(**kw):
    weight = kw.pop('weight', None)

    def fn(x, y):
        w = torch.tensor(weight, dtype=torch.float64) if weight is not None else None
        perm = [0, x.dim() - 1] + list(range(1, x.dim() - 1))
        return F.cross_entropy(x.permute(*perm), y, weight=w, **kw)
    return fn


def ts_spec(kind, **kw):
    names = {'ignore_index': 'ignoreIndex', 'label_smoothing': 'labelSmoothing', 'pos_weight': 'posWeight'}
    spec = {'kind': kind}
    for k, v in kw.items():
        spec[names.get(k, k)] = v
    return spec


# ---- cross-entropy, class axis 1 ----
N, C = 7, 5
W = [0.5, 2.0, 1.0, 0.25, 3.0]
x = floats((N, C))
y = ints((N,), C)
y_ign = y.clone(); y_ign[1] = -100; y_ign[4] = -100
y_ign2 = y.clone(); y_ign2[0] = 2; y_ign2[3] = 2; y_ign2[5] = 1
for red in ['mean', 'sum']:
    add(f'ce/{red}', ts_spec('cross_entropy', reduction=red), x, y, ce(reduction=red))
    add(f'ce/weight/{red}', ts_spec('cross_entropy', weight=W, reduction=red), x, y, ce(weight=W, reduction=red))
    add(f'ce/ignore-default/{red}', ts_spec('cross_entropy', reduction=red), x, y_ign, ce(reduction=red))
    add(f'ce/ignore-in-range/{red}', ts_spec('cross_entropy', ignore_index=2, reduction=red), x, y_ign2, ce(ignore_index=2, reduction=red))
    add(f'ce/smoothing/{red}', ts_spec('cross_entropy', label_smoothing=0.1, reduction=red), x, y, ce(label_smoothing=0.1, reduction=red))
    add(f'ce/weight+ignore/{red}', ts_spec('cross_entropy', weight=W, reduction=red), x, y_ign, ce(weight=W, reduction=red))
    add(f'ce/weight+smoothing/{red}', ts_spec('cross_entropy', weight=W, label_smoothing=0.2, reduction=red), x, y, ce(weight=W, label_smoothing=0.2, reduction=red))
    add(f'ce/ignore+smoothing/{red}', ts_spec('cross_entropy', label_smoothing=0.3, reduction=red), x, y_ign, ce(label_smoothing=0.3, reduction=red))
    add(f'ce/weight+ignore+smoothing/{red}', ts_spec('cross_entropy', weight=W, label_smoothing=0.15, reduction=red), x, y_ign, ce(weight=W, label_smoothing=0.15, reduction=red))
    add(f'ce/weight+ignore-in-range+smoothing/{red}', ts_spec('cross_entropy', weight=W, ignore_index=2, label_smoothing=0.25, reduction=red), x, y_ign2, ce(weight=W, ignore_index=2, label_smoothing=0.25, reduction=red))
    add(f'ce/full-smoothing/{red}', ts_spec('cross_entropy', label_smoothing=1.0, reduction=red), x, y_ign, ce(label_smoothing=1.0, reduction=red))
    add(f'ce/weight+full-smoothing/{red}', ts_spec('cross_entropy', weight=W, label_smoothing=1.0, reduction=red), x, y_ign, ce(weight=W, label_smoothing=1.0, reduction=red))

# every label ignored: torch's mean is 0/0 = NaN, its sum 0
y_all = torch.full((N,), -100, dtype=torch.int64)
add('ce/all-ignored/mean', ts_spec('cross_entropy'), x, y_all, ce())
add('ce/all-ignored/sum', ts_spec('cross_entropy', reduction='sum'), x, y_all, ce(reduction='sum'))

# large logits: log-softmax must not overflow
x_big = floats((4, 3), scale=60.0)
x_big[0, 0] = 100.0; x_big[0, 1] = -100.0
add('ce/large-logits', ts_spec('cross_entropy'), x_big, torch.tensor([1, 0, 2, 2]), ce())

# [N, C, d1, d2] logits with [N, d1, d2] labels
xs = floats((2, 4, 3, 2))
ys = ints((2, 3, 2), 4); ys[0, 1, 1] = -100; ys[1, 2, 0] = -100
add('ce/spatial', ts_spec('cross_entropy'), xs, ys, ce())
add('ce/spatial/weight+smoothing', ts_spec('cross_entropy', weight=[1.0, 0.5, 2.0, 1.5], label_smoothing=0.1), xs, ys, ce(weight=[1.0, 0.5, 2.0, 1.5], label_smoothing=0.1))
add('ce/spatial/sum', ts_spec('cross_entropy', reduction='sum'), xs, ys, ce(reduction='sum'))

# [C] logits with a scalar label
add('ce/unbatched', ts_spec('cross_entropy'), floats((6,)), torch.tensor(4), ce())

# language-model layout: [N, T, C] logits, [N, T] labels, classAxis -1
xl = floats((3, 4, 6))
yl = ints((3, 4), 6); yl[2, 3] = -100; yl[1, 0] = -100
add('ce/class-last', ts_spec('cross_entropy', classAxis=-1), xl, yl, ce_last())
add('ce/class-last/weight+smoothing/sum', ts_spec('cross_entropy', classAxis=-1, weight=[1, 2, 3, 0.5, 0.5, 1], label_smoothing=0.05, reduction='sum'),
    xl, yl, ce_last(weight=[1, 2, 3, 0.5, 0.5, 1], label_smoothing=0.05, reduction='sum'))
yl0 = yl.clone(); yl0[yl0 == -100] = 0; yl0[0, 1] = 0
add('ce/class-last/ignore-0+smoothing', ts_spec('cross_entropy', classAxis=-1, ignore_index=0, label_smoothing=0.1), xl, yl0, ce_last(ignore_index=0, label_smoothing=0.1))

# float64 logits
add('ce/float64', ts_spec('cross_entropy', weight=W, label_smoothing=0.1), x, y_ign, ce(weight=W, label_smoothing=0.1), dtype='float64')

# ---- mse, l1 ----
for kind, fn in [('mse', F.mse_loss), ('l1', F.l1_loss)]:
    for shape in [(8,), (5, 3), (2, 3, 4)]:
        p = floats(shape); t = floats(shape)
        for red in ['mean', 'sum']:
            add(f'{kind}/{"x".join(map(str, shape))}/{red}', ts_spec(kind, reduction=red), p, t,
                (lambda f, r: lambda a, b: f(a, b, reduction=r))(fn, red))
    p = floats((4, 2)); t = p.clone(); t[0, 0] += 1.5
    add(f'{kind}/mostly-equal', ts_spec(kind), p, t, lambda a, b, f=fn: f(a, b))
    add(f'{kind}/float64', ts_spec(kind), floats((3, 2)), floats((3, 2)), lambda a, b, f=fn: f(a, b), dtype='float64')

# ---- bce with logits ----
xb = floats((6, 4), scale=3.0)
yb = torch.randint(0, 2, (6, 4), generator=gen).to(torch.float32)
ysoft = torch.rand((6, 4), generator=gen).to(torch.float32)
PW = [0.5, 2.0, 3.0, 1.0]
BW = [1.0, 0.2, 4.0, 0.7]


def bce(**kw):
    pw = kw.pop('pos_weight', None)
    w = kw.pop('weight', None)

    def fn(a, b):
        return F.binary_cross_entropy_with_logits(
            a, b, weight=None if w is None else torch.tensor(w, dtype=torch.float64).expand_as(a) if isinstance(w, list) else torch.tensor(w, dtype=torch.float64),
            pos_weight=None if pw is None else torch.tensor(pw, dtype=torch.float64), **kw)
    return fn


for red in ['mean', 'sum']:
    add(f'bce/{red}', ts_spec('bce_with_logits', reduction=red), xb, yb, bce(reduction=red))
    add(f'bce/soft/{red}', ts_spec('bce_with_logits', reduction=red), xb, ysoft, bce(reduction=red))
    add(f'bce/pos-weight/{red}', ts_spec('bce_with_logits', pos_weight=PW, reduction=red), xb, ysoft, bce(pos_weight=PW, reduction=red))
    add(f'bce/weight/{red}', ts_spec('bce_with_logits', weight=BW, reduction=red), xb, yb, bce(weight=BW, reduction=red))
    add(f'bce/weight+pos-weight/{red}', ts_spec('bce_with_logits', weight=BW, pos_weight=PW, reduction=red), xb, ysoft, bce(weight=BW, pos_weight=PW, reduction=red))
add('bce/scalar-pos-weight', ts_spec('bce_with_logits', pos_weight=2.5), xb, yb, bce(pos_weight=[2.5]))
add('bce/scalar-weight', ts_spec('bce_with_logits', weight=0.3), xb, yb, bce(weight=0.3))
xl1 = floats((5,))
add('bce/1d', ts_spec('bce_with_logits'), xl1, torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0]), bce())
xbig = torch.tensor([[100.0, -100.0, 30.0, -30.0], [80.0, -80.0, 0.0, 1e-3]])
add('bce/large-logits', ts_spec('bce_with_logits', pos_weight=[2.0, 0.5, 1.0, 3.0]), xbig, torch.tensor([[0.0, 1.0, 1.0, 0.0], [1.0, 0.0, 0.5, 1.0]]), bce(pos_weight=[2.0, 0.5, 1.0, 3.0]))
add('bce/float64', ts_spec('bce_with_logits', pos_weight=PW), xb, ysoft, bce(pos_weight=PW), dtype='float64')

with open(OUT, 'w') as f:
    json.dump({
        'generator': 'tools/oracles/losses/make_losses.py',
        'torch': torch.__version__,
        'note': 'loss and grad (d loss / d prediction) computed by torch in float64 on the float32 values; NaN and infinities as strings',
        'cases': cases,
    }, f, indent=None, separators=(',', ':'))
    f.write('\n')
print(f'{len(cases)} cases -> {os.path.normpath(OUT)}')
