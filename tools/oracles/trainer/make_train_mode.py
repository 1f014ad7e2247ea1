"""A BatchNorm network exported in eval mode, with PyTorch's train-mode oracle for the session tests.

Run with Debian's python3-torch:  /usr/bin/python3 tools/oracles/trainer/make_train_mode.py
Writes packages/trainer/test/session/models/bn_net.onnx (exported with the model in eval mode, BatchNorm kept
with its running statistics), bn_net_training.onnx (the same exported in training mode) and bn_net.train.json:
  {input, labels, steps: [{loss, grads: {initializer: data}, running: {initializer: data}}, ...],
   lr, final: {initializer: data}, eval_loss}
Two SGD(lr) steps in train mode on two batches: each step's loss and gradients (through the batch statistics),
the running statistics after it, and the parameters after both; eval_loss is the eval-mode loss after them.
"""
import copy
import json
import os

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

OUT = os.path.join(os.path.dirname(__file__), '../../../packages/trainer/test/session/models')
torch.manual_seed(0)


class BnNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 8, 3, stride=2, padding=1)
        self.bn2 = nn.BatchNorm2d(8, momentum=0.3, eps=1e-3)
        self.fc1 = nn.Linear(8, 10)
        self.bn3 = nn.BatchNorm1d(10)
        self.fc2 = nn.Linear(10, 4)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.fc2(F.relu(self.bn3(self.fc1(x))))


def main():
    model = BnNet()
    with torch.no_grad():
        # Running statistics far from a fresh BatchNorm's, so that eval and train mode differ.
        for bn in (model.bn1, model.bn2, model.bn3):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.3, 0.3)
    model.eval()
    batches = [(torch.randn(5, 3, 8, 8), torch.randint(0, 4, (5,))) for _ in range(2)]
    path = os.path.join(OUT, 'bn_net.onnx')
    torch.onnx.export(model, (batches[0][0],), path, input_names=['input'], output_names=['logits'], opset_version=17,
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE)  # model in eval mode: BatchNorm kept, eval form
    # The same network exported in training mode (BatchNormalization with training_mode = 1 and its running
    # statistics outputs), from a copy: tracing in train mode updates the running statistics.
    torch.onnx.export(copy.deepcopy(model).train(), (batches[0][0],), os.path.join(OUT, 'bn_net_training.onnx'), input_names=['input'],
                      output_names=['logits'], opset_version=17, dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}},
                      do_constant_folding=False, training=torch.onnx.TrainingMode.TRAINING)
    onnx_model = onnx.load(path)
    inits = {t.name: numpy_helper.to_array(t) for t in onnx_model.graph.initializer}
    named = dict(model.named_parameters())
    named.update({k: v for k, v in model.named_buffers() if 'running' in k})
    for k in named:
        assert k in inits, f'{k} is not an initializer of the export'

    lr = 0.1
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    model.train()
    steps = []
    for x, y in batches:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        steps.append({
            'loss': loss.item(),
            'grads': {k: p.grad.flatten().tolist() for k, p in model.named_parameters()},
            'running': {k: b.flatten().tolist() for k, b in model.named_buffers() if 'running' in k},
        })
        opt.step()
    model.eval()
    with torch.no_grad():
        eval_loss = F.cross_entropy(model(batches[0][0]), batches[0][1]).item()
    oracle = {
        'batches': [{'input': {'shape': list(x.shape), 'data': x.flatten().tolist()}, 'labels': y.tolist()} for x, y in batches],
        'lr': lr,
        'steps': steps,
        'final': {k: p.detach().flatten().tolist() for k, p in model.named_parameters()},
        'eval_loss': eval_loss,
    }
    with open(os.path.join(OUT, 'bn_net.train.json'), 'w') as f:
        json.dump(oracle, f)
    print('wrote', path)


if __name__ == '__main__':
    main()
