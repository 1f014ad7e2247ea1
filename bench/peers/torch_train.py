"""PyTorch eager training steps of the fixtures' mlp and lenet, as a benchmark peer of ortrain.

Same architectures as fixtures/models (see its README.md and op_summary.json), Adam(lr=1e-3), mean
cross-entropy; a step is zero_grad, forward, loss, backward, optimizer step and loss.item(), on random
batches. One JSON request per line on stdin, one JSON answer per line on stdout:
  {"cmd": "setup", "model": "mlp", "batch": 32, "batches": 8, "seed": 0}  -> {"ok": true, "parameters": n}
  {"cmd": "run", "model": "mlp", "reps": r, "threads": t}                 -> {"seconds": s}
  {"cmd": "free"}                                                         -> {"ok": true}
The first line says whether torch is importable: {"ready": true, "torch": "1.13.0", "threads": 2}.
"""
import json
import os
import sys
import time

try:
    import torch
    from torch import nn
except ImportError as e:  # the Node side prints 'not installed'
    print(json.dumps({"ready": False, "error": f"torch not importable: {e}"}), flush=True)
    sys.exit(0)

torch.set_num_threads(os.cpu_count() or 1)
print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)


def mlp():
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10)), (64,)


def lenet():
    features = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
    )
    classifier = nn.Sequential(
        nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )
    return nn.Sequential(features, classifier), (1, 28, 28)


BUILDERS = {"mlp": mlp, "lenet": lenet}
setups = {}


def setup(name, batch, batches, seed):
    torch.manual_seed(seed)
    model, sample_shape = BUILDERS[name]()
    model.train()
    data = [(torch.rand(batch, *sample_shape), torch.randint(0, 10, (batch,))) for _ in range(batches)]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    setups[name] = {"model": model, "data": data, "optimizer": optimizer, "next": 0}
    return sum(p.numel() for p in model.parameters())


def run(name, reps, threads):
    torch.set_num_threads(threads)
    s = setups[name]
    model, data, optimizer = s["model"], s["data"], s["optimizer"]
    loss_fn = nn.CrossEntropyLoss()
    k = s["next"]
    start = time.perf_counter_ns()
    for _ in range(reps):
        x, y = data[k]
        k = (k + 1) % len(data)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        loss.item()
    seconds = (time.perf_counter_ns() - start) / 1e9
    s["next"] = k
    return seconds


for line in sys.stdin:
    request = json.loads(line)
    try:
        cmd = request["cmd"]
        if cmd == "setup":
            n = setup(request["model"], int(request["batch"]), int(request.get("batches", 8)), int(request.get("seed", 0)))
            reply = {"ok": True, "parameters": n}
        elif cmd == "run":
            threads = int(request.get("threads", os.cpu_count() or 1))
            reply = {"seconds": run(request["model"], int(request["reps"]), threads)}
        elif cmd == "free":
            setups.clear()
            reply = {"ok": True}
        else:
            reply = {"error": f"unknown cmd {cmd!r}"}
    except Exception as e:  # answer, so the Node side can report it and go on
        reply = {"error": f"{type(e).__name__}: {e}"}
    print(json.dumps(reply), flush=True)
