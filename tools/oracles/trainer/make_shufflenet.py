"""ShuffleNetV2 with BatchNorm folded into its convolutions vs kept: where a float32 gradient gap comes from.

Run with Debian's python3-torch and python3-torchvision:
  /usr/bin/python3 tools/oracles/trainer/make_shufflenet.py [--full OUTDIR]
Without --full it writes packages/trainer/test/autodiff/models/shufflenet_{kept,folded}.onnx and
shufflenet.grads.json for torchvision's ShuffleNetV2 class at a small width (stages [2, 2, 2], channels
[8, 16, 32, 64, 128]: the same blocks as x0.5 -- depthwise 3x3 convolutions, channel shuffle by
Reshape/Transpose, Split/Concat -- in 0.1 MB). With --full it writes the real shufflenet_v2_x0_5 (6 MB each)
to OUTDIR for a one-off run of the same comparison.

The BatchNorm parameters and running statistics are randomised (a fresh BatchNorm folds to the identity),
and the model is in eval mode. `kept` is exported with BatchNorm nodes; `folded` is the same network with
each BatchNorm folded into the convolution before it (torch.nn.utils.fusion.fuse_conv_bn_eval), exported
as plain convolutions with biases. The oracle holds, for the folded network's parameters, PyTorch's
gradients in float32 and in float64, and the kept network's float32 gradients, all on one batch, plus the
share of ReLU inputs whose sign differs between float32 and float64 (kinks within rounding).
"""
import copy
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torch.nn.utils.fusion import fuse_conv_bn_eval

HERE = os.path.dirname(__file__)
OUT = os.path.join(HERE, '../../../packages/trainer/test/autodiff/models')


def randomise_bn(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.2, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)


def fold(model):
    """Each Conv2d followed by a BatchNorm2d in a Sequential becomes one convolution with a bias."""
    for seq in [m for m in model.modules() if isinstance(m, nn.Sequential)]:
        names = list(seq._modules)
        for a, b in zip(names, names[1:]):
            conv, bn = seq._modules[a], seq._modules[b]
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                seq._modules[a] = fuse_conv_bn_eval(conv, bn)
                seq._modules[b] = nn.Identity()
    return model


def relu_inputs(model, x):
    """Every ReLU input of a forward pass, flattened (copied before the in-place ReLU overwrites it)."""
    seen = []
    hooks = [m.register_forward_pre_hook(lambda mod, inp: seen.append(inp[0].detach().flatten().clone()))
             for m in model.modules() if isinstance(m, nn.ReLU)]
    model(x)
    for h in hooks:
        h.remove()
    return torch.cat(seen)


def exporter_names(path, folded):
    """Each initializer of the exporter's folded model, by the folded parameter holding the same values."""
    import onnx
    from onnx import numpy_helper
    params = {k: v.detach() for k, v in folded.named_parameters()}
    names = {}
    for t in onnx.load(path).graph.initializer:
        a = torch.from_numpy(numpy_helper.to_array(t).copy())
        for k, v in params.items():
            if v.shape == a.shape and (v - a).abs().max() <= 1e-5 * max(1.0, float(v.abs().max())):
                names[t.name] = k
                break
    return names


def grads(model, x, y):
    model.zero_grad()
    F.cross_entropy(model(x), y).backward()
    return {k: p.grad.detach().clone() for k, p in model.named_parameters()}


def export(model, x, path):
    torch.onnx.export(model, (x,), path, input_names=['input'], output_names=['logits'], opset_version=17,
                      do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)


def smallest_relu_input(model, x, prefixes):
    """The ReLU input nearest zero in the modules under `prefixes`, with the folded conv bias that shifts it."""
    best = None
    for seq_name, seq in model.named_modules():
        if not isinstance(seq, nn.Sequential) or not seq_name.startswith(prefixes):
            continue
        names = list(seq._modules)
        for i, n in enumerate(names):
            if not isinstance(seq._modules[n], nn.ReLU):
                continue
            conv = next(names[j] for j in range(i - 1, -1, -1) if isinstance(seq._modules[names[j]], nn.Conv2d))
            seen = []
            h = seq._modules[n].register_forward_pre_hook(lambda mod, inp: seen.append(inp[0].detach().clone()))
            model(x)
            h.remove()
            r = seen[0]
            k = int(r.abs().flatten().argmin())
            channel = (k // (r.shape[2] * r.shape[3])) % r.shape[1]
            value = float(r.flatten()[k])
            if best is None or abs(value) < abs(best['value']):
                best = {'bias': f'{seq_name}.{conv}.bias', 'channel': int(channel), 'value': value}
    return best


def main():
    full = '--full' in sys.argv
    out = sys.argv[sys.argv.index('--full') + 1] if full else OUT
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    if full:
        kept = torchvision.models.shufflenet_v2_x0_5(weights=None)
        size, classes = 64, 1000
    else:
        kept = torchvision.models.shufflenetv2.ShuffleNetV2([2, 2, 2], [8, 16, 32, 64, 128], num_classes=10)
        size, classes = 32, 10
    randomise_bn(kept)
    kept.eval()
    x = torch.randn(4, 3, size, size)
    y = torch.randint(0, classes, (4,))
    folded = fold(copy.deepcopy(kept)).eval()
    export(kept, x, os.path.join(out, 'shufflenet_kept.onnx'))
    export(folded, x, os.path.join(out, 'shufflenet_folded.onnx'))
    # The exporter's own folding: the default eval-mode export folds each BatchNorm into its convolution.
    exported = os.path.join(out, 'shufflenet_exporter_folded.onnx')
    torch.onnx.export(kept, (x,), exported, input_names=['input'], output_names=['logits'], opset_version=17)

    folded64 = copy.deepcopy(folded).double()
    kept64 = copy.deepcopy(kept).double()
    r32 = relu_inputs(folded, x)
    r64 = relu_inputs(folded64, x.double())
    rk = relu_inputs(kept, x)
    # A kink: the last stage's ReLU input nearest zero, moved by its conv bias to +-2e-6 (the size of the
    # change folding's rounding makes to a ReLU input). PyTorch's float64 gradients on both sides of it.
    kink = smallest_relu_input(folded64, x.double(), ('stage4', 'conv5'))
    last = lambda g: {k: v for k, v in g.items() if k.startswith(('stage4', 'conv5', 'fc'))}
    sides = {}
    for side, t in (('plus', 2e-6), ('minus', -2e-6)):
        moved = copy.deepcopy(folded64)
        with torch.no_grad():
            dict(moved.named_parameters())[kink['bias']][kink['channel']] += t - kink['value']
        sides[side] = {'shift': t - kink['value'], 'grads_float64': last(grads(moved, x.double(), y))}
    # Eight significant digits: the tests compare float32 results to 2e-5.
    short = lambda v: [float('%.8g' % e) for e in v.flatten().tolist()]
    flat = lambda g: {k: short(v) for k, v in g.items()}
    with torch.no_grad():
        losses = {'folded': F.cross_entropy(folded64(x.double()), y).item(), 'kept': F.cross_entropy(kept64(x.double()), y).item()}
    oracle = {
        'input': {'shape': list(x.shape), 'data': x.flatten().tolist()},
        'labels': y.tolist(),
        'loss_float64': losses,
        'folded_float64': flat(grads(folded64, x.double(), y)),
        'kept_float64': flat(grads(kept64, x.double(), y)),
        'exporter_folded_names': exporter_names(exported, folded),
        'relu_inputs': int(r32.numel()),
        'relu_sign_flips_folded_float32_vs_float64': int(((r32 > 0) != (r64 > 0)).sum()),
        'relu_sign_flips_kept_vs_folded_float32': int(((rk > 0) != (r32 > 0)).sum()),
        'relu_input_nearest_zero': float(r64.abs().min()),
        'largest_folding_change_of_a_relu_input': float((rk - r32).abs().max()),
        'kink': {**kink, **{side: {'shift': v['shift'], 'grads_float64': flat(v['grads_float64'])} for side, v in sides.items()}},
    }
    with open(os.path.join(out, 'shufflenet.grads.json'), 'w') as f:
        json.dump(oracle, f)
    print({k: v for k, v in oracle.items() if not isinstance(v, (dict, list))}, kink)
    # How far the gradient jumps across the kink, relative to its largest element.
    for k in sides['plus']['grads_float64']:
        a, b = sides['plus']['grads_float64'][k], sides['minus']['grads_float64'][k]
        if (a - b).abs().max() > 0:
            print(k, 'jump / max |g| = %.2e' % float((a - b).abs().max() / a.abs().max()))


if __name__ == '__main__':
    main()
