"""Real architectures beyond the fixtures, exported by PyTorch with gradient oracles for the autodiff tests.

Run with Debian's python3-torch:  /usr/bin/python3 tools/oracles/autodiff/make_models.py
Writes packages/trainer/test/autodiff/models/NAME.onnx and NAME.grads.json:
  {input: {name, dtype, shape, data}, labels: {dtype, shape, data}, loss_kind, loss, grads: {onnx initializer: {shape, data}}}
Each ONNX initializer is matched to the PyTorch parameter holding the same values (or their transpose, for
MatMul weights that the exporter stores transposed); unmatched initializers (folded constants, running
statistics) are left out of `grads` and stay frozen in the tests.
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

OUT = os.path.join(os.path.dirname(__file__), '../../../packages/trainer/test/autodiff/models')
torch.manual_seed(0)


class Block(nn.Module):
    """A ResNet basic block with a strided 1x1 projection."""
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)) if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.proj(x))


class TinyResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 5, 2, 2, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        self.layer1 = Block(8, 8, 1)
        self.layer2 = Block(8, 16, 2)
        self.fc = nn.Linear(16, 7)

    def forward(self, x):
        x = self.layer2(self.layer1(self.stem(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Conv1dNet(nn.Module):
    """1-D convolutions over a signal: dilated, grouped and strided, average and max pooling."""
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(2, 8, 5, padding=2)
        self.bn = nn.BatchNorm1d(8)
        self.c2 = nn.Conv1d(8, 8, 3, stride=2, dilation=2, padding=2, groups=4)
        self.c3 = nn.Conv1d(8, 16, 3, padding=1)
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        x = F.max_pool1d(F.relu(self.bn(self.c1(x))), 2)
        x = F.avg_pool1d(torch.tanh(self.c2(x)), 3, stride=2, padding=1)
        x = F.leaky_relu(self.c3(x), 0.1)
        return self.head(x.mean(dim=2))


class Regression(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(6, 32), nn.SiLU(), nn.Linear(32, 16), nn.Softplus(), nn.Dropout(0.1), nn.Linear(16, 2))

    def forward(self, x):
        return self.net(x)


class CausalSelfAttention(nn.Module):
    def __init__(self, d, heads, ctx):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.register_buffer('mask', torch.tril(torch.ones(ctx, ctx)).view(1, 1, ctx, ctx))

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)
        q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / (k.size(-1) ** 0.5))
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float('-inf'))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)


class GPT(nn.Module):
    """A GPT-style decoder: token and position embeddings, a pre-norm block with causal attention, tied head."""
    def __init__(self, vocab=20, d=16, heads=2, ctx=8):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(ctx, d)
        self.ln1 = nn.LayerNorm(d)
        self.attn = CausalSelfAttention(d, heads, ctx)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.lnf = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, idx):
        T = idx.shape[1]
        pos = torch.arange(0, T, dtype=torch.long).unsqueeze(0)
        x = self.tok(idx) + self.pos(pos)
        x = x + self.attn(self.ln1(x))
        x = x + self.mlp(self.ln2(x))
        return self.head(self.lnf(x))


class CausalEncoder(nn.Module):
    """A decoder-only language model from torch's own layers: TransformerEncoderLayer with a causal src_mask."""
    def __init__(self, vocab=16, d=16, heads=4, ctx=8):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(1, ctx, d) * 0.1)
        self.layer = nn.TransformerEncoderLayer(d, heads, 32, dropout=0.1, activation='gelu', batch_first=True, norm_first=True)
        self.register_buffer('mask', torch.triu(torch.full((ctx, ctx), float('-inf')), diagonal=1))
        self.head = nn.Linear(d, vocab)

    def forward(self, idx):
        T = idx.shape[1]
        x = self.tok(idx) + self.pos[:, :T]
        return self.head(self.layer(x, src_mask=self.mask[:T, :T]))


class LstmClassifier(nn.Module):
    """A batch-first LSTM over a sequence, classified from its last step."""
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 6, batch_first=True)
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


class Zoo(nn.Module):
    """Patterns of other torchvision classifiers: ReLU6 and depthwise (MobileNetV2), ceil-mode max pooling and
    an Inception-style concat with count_include_pad average pooling (GoogLeNet), channel shuffle with chunk
    (ShuffleNet), squeeze-excitation with SiLU (EfficientNet), nearest upsampling (decoders), Dropout."""
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.ReLU6())
        self.dw = nn.Sequential(nn.Conv2d(8, 8, 3, 1, 1, groups=8), nn.BatchNorm2d(8), nn.ReLU6())
        self.b1 = nn.Conv2d(8, 4, 1)
        self.b2 = nn.Sequential(nn.AvgPool2d(3, 1, 1), nn.Conv2d(8, 4, 1))
        self.se1 = nn.Conv2d(8, 2, 1)
        self.se2 = nn.Conv2d(2, 8, 1)
        self.up = nn.Conv2d(8, 8, 3, padding=1)
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(8, 5))

    def forward(self, x):
        x = self.dw(self.stem(x))
        x = F.max_pool2d(x, 3, 2, ceil_mode=True)
        x = torch.cat([self.b1(x), self.b2(x)], 1)
        n, c, h, w = x.shape
        x = x.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)
        a, b = x.chunk(2, dim=1)
        x = torch.cat([F.silu(a), b], 1)
        s = torch.sigmoid(self.se2(F.silu(self.se1(F.adaptive_avg_pool2d(x, 1)))))
        x = x * s
        x = self.up(F.interpolate(x, scale_factor=2, mode='nearest'))
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class TinyViT(nn.Module):
    """A ViT: patch embedding by a strided Conv, class token expanded over the batch, position embeddings,
    one encoder layer, the class token's output through the head."""
    def __init__(self, d=16):
        super().__init__()
        self.patch = nn.Conv2d(3, d, 4, 4)
        self.cls = nn.Parameter(torch.randn(1, 1, d) * 0.1)
        self.pos = nn.Parameter(torch.randn(1, 17, d) * 0.1)
        self.enc = nn.TransformerEncoderLayer(d, 2, 32, dropout=0.0, batch_first=True)
        self.head = nn.Linear(d, 4)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        return self.head(self.enc(x)[:, 0])


def lstm_gates(a):
    """PyTorch's gate blocks (i, f, g, o) in ONNX's order (i, o, f, c), along the first axis."""
    i, f, g, o = np.split(a, 4, axis=0)
    return np.concatenate([i, o, f, g], axis=0)


def randomise_bn(model):
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.running_mean.uniform_(-0.3, 0.3)
                m.running_var.uniform_(0.5, 2.0)


def torch_names(label):
    """The PyTorch parameters an oracle entry stands for."""
    return [part.split(' ')[0].rstrip('^T') for part in label.split(' + ')]


def export(name, model, x, labels, loss_kind, dynamic, opset=17):
    model.eval()
    path = os.path.join(OUT, f'{name}.onnx')
    torch.onnx.export(model, (x,), path, input_names=['input'], output_names=['output'], opset_version=opset,
                      dynamic_axes=dynamic, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE)  # PRESERVE (model in eval): BatchNorm is kept, not folded
    out = model(x)
    if loss_kind == 'cross_entropy':
        loss = F.cross_entropy(out, labels)
    elif loss_kind == 'cross_entropy_last_axis':
        loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), labels.reshape(-1))
    else:
        loss = F.mse_loss(out, labels)
    params = dict(model.named_parameters())
    grads = torch.autograd.grad(loss, list(params.values()))
    by_value = [(n, p.detach().numpy(), g.numpy()) for (n, p), g in zip(params.items(), grads)]
    m = onnx.load(path)
    result = {}
    for init in m.graph.initializer:
        a = numpy_helper.to_array(init)
        if a.dtype != np.float32:
            continue
        for n, p, g in by_value:
            if p.shape == a.shape and np.array_equal(p, a):
                result[init.name] = {'torch': n, 'shape': list(a.shape), 'data': g.ravel().tolist()}
                break
            if p.ndim == 2 and p.T.shape == a.shape and np.array_equal(p.T, a):
                result[init.name] = {'torch': n + '^T', 'shape': list(a.shape), 'data': g.T.ravel().tolist()}
                break
    # LSTM weights are stored with the gates reordered (W, R: [1, 4H, *]) and both biases in one B [1, 8H].
    named = {n: (p, g) for n, p, g in by_value}
    for init in m.graph.initializer:
        a = numpy_helper.to_array(init)
        if init.name in result or a.dtype != np.float32:
            continue
        for n, (p, g) in named.items():
            if '.weight_ih_l' in n or '.weight_hh_l' in n:
                if np.array_equal(lstm_gates(p)[None], a):
                    result[init.name] = {'torch': n + ' (gates reordered)', 'shape': list(a.shape), 'data': lstm_gates(g)[None].ravel().tolist()}
            if '.bias_ih_l' in n:
                hh = n.replace('bias_ih', 'bias_hh')
                if np.array_equal(np.concatenate([lstm_gates(p), lstm_gates(named[hh][0])])[None], a):
                    both = np.concatenate([lstm_gates(g), lstm_gates(named[hh][1])])[None]
                    result[init.name] = {'torch': f'{n} + {hh} (gates reordered)', 'shape': list(a.shape), 'data': both.ravel().tolist()}
    missing = set(params) - {t for r in result.values() for t in torch_names(r['torch'])}
    if missing:
        sys.exit(f'{name}: parameters without an ONNX initializer: {missing}')
    is_int = x.dtype == torch.long
    data = {
        'input': {'name': 'input', 'dtype': 'int64' if is_int else 'float32', 'shape': list(x.shape), 'data': x.ravel().tolist()},
        'labels': {'dtype': 'int64' if labels.dtype == torch.long else 'float32', 'shape': list(labels.shape), 'data': labels.ravel().tolist()},
        'loss_kind': loss_kind, 'loss': loss.item(), 'opset': opset, 'grads': result,
    }
    with open(os.path.join(OUT, f'{name}.grads.json'), 'w') as f:
        json.dump(data, f)
    ops = sorted({n.op_type for n in m.graph.node})
    print(name, 'loss', loss.item(), 'params', len(result), 'ops', ' '.join(ops))


def main():
    os.makedirs(OUT, exist_ok=True)
    net = TinyResNet(); randomise_bn(net)
    export('tiny_resnet', net, torch.randn(2, 3, 32, 32), torch.tensor([3, 6]), 'cross_entropy', {'input': {0: 'batch'}, 'output': {0: 'batch'}})
    net = Conv1dNet(); randomise_bn(net)
    export('conv1d', net, torch.randn(3, 2, 40), torch.tensor([0, 3, 1]), 'cross_entropy', {'input': {0: 'batch', 2: 'length'}, 'output': {0: 'batch'}})
    export('regression', Regression(), torch.randn(5, 6), torch.randn(5, 2), 'mse', {'input': {0: 'batch'}, 'output': {0: 'batch'}}, opset=14)
    enc = CausalEncoder()
    for m in enc.modules():
        if isinstance(m, nn.LayerNorm):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    export('causal_encoder', enc, torch.randint(0, 16, (2, 6)), torch.randint(0, 16, (2, 6)), 'cross_entropy_last_axis', {'input': {0: 'batch', 1: 'time'}, 'output': {0: 'batch', 1: 'time'}})
    net = Zoo(); randomise_bn(net)
    export('zoo', net, torch.randn(2, 3, 20, 20), torch.tensor([1, 4]), 'cross_entropy', {'input': {0: 'batch'}, 'output': {0: 'batch'}})
    vit = TinyViT()
    for m in vit.modules():
        if isinstance(m, nn.LayerNorm):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    export('vit', vit, torch.randn(2, 3, 16, 16), torch.tensor([3, 0]), 'cross_entropy', {'input': {0: 'batch'}, 'output': {0: 'batch'}})
    export('lstm', LstmClassifier(), torch.randn(2, 7, 5), torch.tensor([2, 0]), 'cross_entropy', {'input': {0: 'batch', 1: 'time'}, 'output': {0: 'batch'}})
    gpt = GPT()
    for m in gpt.modules():  # distinct values, so the exporter does not merge the LayerNorm parameters
        if isinstance(m, nn.LayerNorm):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    export('gpt', gpt, torch.randint(0, 20, (2, 8)), torch.randint(0, 20, (2, 8)), 'cross_entropy_last_axis', {'input': {0: 'batch', 1: 'time'}, 'output': {0: 'batch', 1: 'time'}})


if __name__ == '__main__':
    main()
