"""PyTorch eager training runs of the digits MLP, as the `fit` benchmark's peer of ortrain.

The same MLP as apps/example/models/digits-mlp.onnx, Linear(64,128)-ReLU-Linear(128,10), trained with
SGD(lr=0.05, momentum=0.9) and mean cross-entropy on the digits rows, pixels / 16. A "run" is one schedule:
  fixed:    `updates` updates of 32 rows, each epoch a fresh torch.randperm cut into batches;
  padadamp: `updates` updates whose batch size grows as adadamp's PadaDamp computes it,
            min(ceil(b0 + growth * k), max_batch), every batch drawn as adadamp draws it
            (numpy RandomState.choice(n, size, replace=False)) and every param group's lr set each update.
Each update is zero_grad, forward, loss, backward, step and loss.item().
  {"cmd": "setup", "data": path, "seed": 0}                              -> {"ok": true, "rows": n}
  {"cmd": "run", "mode": "fixed"|"padadamp", "reps": r, "threads": t,
   "updates": u, "batch": 32, "b0": 8, "growth": 4, "max_batch": 512}    -> {"seconds": s, "examples": e}
The first line says whether torch is importable (bench/peers/peer.py).
"""
import math
import time

import numpy as np

import peer

torch = peer.start()
nn = torch.nn
state = {}


def setup(path, seed):
    raw = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    state.update(
        x=torch.tensor(raw[:, :64] / 16, dtype=torch.float32),
        y=torch.tensor(raw[:, 64], dtype=torch.int64),
        model=model,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9),
        rng=np.random.RandomState(seed),
    )
    return len(raw)


def update(indices, lr=None):
    x, y, model, optimizer = state["x"], state["y"], state["model"], state["optimizer"]
    if lr is not None:
        for group in optimizer.param_groups:
            group["lr"] = lr
    optimizer.zero_grad(set_to_none=True)
    loss = nn.functional.cross_entropy(model(x[indices]), y[indices])
    loss.backward()
    optimizer.step()
    loss.item()


def run(r):
    torch.set_num_threads(peer.threads(r))
    n = len(state["y"])
    examples = 0
    start = time.perf_counter_ns()
    for _ in range(int(r["reps"])):
        if r["mode"] == "fixed":
            batch = int(r["batch"])
            order = torch.randperm(n)
            at = 0
            for _ in range(int(r["updates"])):
                if at >= n:
                    order, at = torch.randperm(n), 0
                idx = order[at:at + batch]
                at += batch
                update(idx)
                examples += len(idx)
        else:
            for k in range(int(r["updates"])):
                damping = math.ceil(r["b0"] + r["growth"] * k)
                # adadamp: past the largest batch, the lr shrinks by max_batch / damping instead.
                lr = 0.05 * r["max_batch"] / damping if damping >= r["max_batch"] else 0.05
                size = min(damping, int(r["max_batch"]), n)
                idx = torch.from_numpy(state["rng"].choice(n, size=size, replace=False))
                update(idx, lr=lr)
                examples += size
    return {"seconds": (time.perf_counter_ns() - start) / 1e9, "examples": examples}


peer.serve({
    "setup": lambda r: {"ok": True, "rows": setup(r["data"], int(r.get("seed", 0)))},
    "run": run,
})
