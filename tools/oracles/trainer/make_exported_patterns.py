"""Models in the patterns real exporters produce, with PyTorch's loss and gradients on fixed batches.

Writes packages/trainer/test/models/torch_*.onnx and torch_patterns.json:
- torch_control_flow.onnx: a scripted module exported by torch.onnx (TorchScript exporter): an If on data
  (the sign of a sum), an If on a shape (x.size(1) == 3, through Shape -> Gather -> Equal), and a Loop whose
  trip count is x.size(1).
- torch_softmax_head.onnx: a classifier that ends in Softmax; the JSON names its logits.
- torch_constants.onnx: an MLP whose weights were moved from initializers into Constant nodes, as
  paddle2onnx and spox store them, with exporter constants (a Pow exponent, Clip bounds) beside them.
For each model and batch: the input, the labels, PyTorch's loss (mse, or cross_entropy on the logits) and
the gradient of every parameter, named as the ONNX tensors are.

Run with Debian's python3 (torch 1.13, onnx): /usr/bin/python3 tools/oracles/trainer/make_exported_patterns.py
"""
import json
import os

import onnx
import torch
from onnx import helper, numpy_helper

OUT = os.path.join(os.path.dirname(__file__), '../../../packages/trainer/test/models')


class ControlFlow(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(3, 4)
        self.b = torch.nn.Linear(4, 4)
        self.c = torch.nn.Linear(4, 2)

    def forward(self, x):
        h = self.a(x)
        if bool(h.sum() > 0):
            h = torch.tanh(h)
        else:
            h = torch.sigmoid(h) * 2.0
        if x.size(1) == 3:
            h = h * 0.5 + 0.1
        for _ in range(x.size(1)):
            h = torch.tanh(self.b(h)) + h
        return self.c(h)


class SoftmaxHead(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(3, 8)
        self.fc2 = torch.nn.Linear(8, 4)

    def logits(self, x):
        return self.fc2(torch.relu(self.fc1(x)))

    def forward(self, x):
        return torch.softmax(self.logits(x), dim=-1)


class ConstantsMlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(3, 6)
        self.fc2 = torch.nn.Linear(6, 2)

    def forward(self, x):
        h = torch.tanh(self.fc1(x))
        return self.fc2(torch.clamp(h.pow(2) * 0.5 + h, -4.0, 4.0))


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def case(model, x, labels, loss_fn, names):
    model.zero_grad()
    out = model.logits(x) if isinstance(model, SoftmaxHead) else model(x)
    loss = loss_fn(out, labels)
    loss.backward()
    params = dict(model.named_parameters())
    return {
        'x': flat(x), 'x_shape': list(x.shape),
        'labels': [int(v) for v in labels.reshape(-1).tolist()] if labels.dtype == torch.int64 else flat(labels),
        'labels_shape': list(labels.shape),
        'loss': float(loss),
        'grads': {names.get(k, k): flat(p.grad) for k, p in params.items()},
    }


def constants_from_initializers(path):
    """Moves every initializer into a Constant node at the front of the graph (paddle2onnx's layout)."""
    m = onnx.load(path)
    g = m.graph
    nodes = [helper.make_node('Constant', [], [t.name], name=f'const_{t.name}', value=t) for t in g.initializer]
    names = {t.name for t in g.initializer}
    inputs = [i for i in g.input if i.name not in names]
    del g.input[:]
    g.input.extend(inputs)
    del g.initializer[:]
    old = list(g.node)
    del g.node[:]
    g.node.extend(nodes + old)
    onnx.checker.check_model(m)
    onnx.save(m, path)


def main():
    torch.manual_seed(0)
    result = {}

    cf = torch.jit.script(ControlFlow())
    path = os.path.join(OUT, 'torch_control_flow.onnx')
    torch.onnx.export(cf, (torch.randn(5, 3),), path, input_names=['x'], output_names=['y'],
                      dynamic_axes={'x': {0: 'batch'}, 'y': {0: 'batch'}}, opset_version=17)
    module = cf
    cases = []
    for sign in (1.0, -1.0):
        # A batch for each branch of the If on data.
        for _ in range(100):
            x = torch.randn(5, 3)
            with torch.no_grad():
                if (float(module.a(x).sum()) > 0) == (sign > 0):
                    break
        y = torch.randn(5, 2)
        cases.append(case(module, x, y, torch.nn.functional.mse_loss, {}))
    result['control_flow'] = {'file': 'torch_control_flow.onnx', 'loss': 'mse', 'cases': cases}

    head = SoftmaxHead()
    path = os.path.join(OUT, 'torch_softmax_head.onnx')
    torch.onnx.export(head, (torch.randn(6, 3),), path, input_names=['x'], output_names=['probs'],
                      dynamic_axes={'x': {0: 'batch'}, 'probs': {0: 'batch'}}, opset_version=17)
    g = onnx.load(path).graph
    softmax = next(n for n in g.node if n.op_type == 'Softmax')
    x = torch.randn(6, 3)
    labels = torch.randint(0, 4, (6,))
    result['softmax_head'] = {'file': 'torch_softmax_head.onnx', 'loss': 'cross_entropy', 'logits': softmax.input[0],
                              'cases': [case(head, x, labels, torch.nn.functional.cross_entropy, {})]}

    mlp = ConstantsMlp()
    path = os.path.join(OUT, 'torch_constants.onnx')
    torch.onnx.export(mlp, (torch.randn(4, 3),), path, input_names=['x'], output_names=['y'],
                      dynamic_axes={'x': {0: 'batch'}, 'y': {0: 'batch'}}, opset_version=17,
                      do_constant_folding=False)
    constants_from_initializers(path)
    x = torch.randn(4, 3)
    y = torch.randn(4, 2)
    result['constants'] = {'file': 'torch_constants.onnx', 'loss': 'mse',
                           'cases': [case(mlp, x, y, torch.nn.functional.mse_loss, {})]}

    with open(os.path.join(OUT, 'torch_patterns.json'), 'w') as f:
        json.dump({'torch': torch.__version__, **result}, f)
    for k, v in result.items():
        print(k, [n.op_type for n in onnx.load(os.path.join(OUT, v['file'])).graph.node])


if __name__ == '__main__':
    main()
