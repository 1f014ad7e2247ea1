"""PyTorch eager training steps of the fixtures' mlp and lenet, as a benchmark peer of ortrain.

Same architectures as fixtures/models (see its README.md and op_summary.json), Adam(lr=1e-3), mean
cross-entropy; a step is zero_grad, forward, loss, backward, optimizer step and loss.item(), on random
batches. One JSON request per line on stdin, one JSON answer per line on stdout:
  {"cmd": "setup", "model": "mlp", "batch": 32, "batches": 8, "seed": 0}  -> {"ok": true, "parameters": n}
  {"cmd": "run", "model": "mlp", "reps": r, "threads": t}                 -> {"seconds": s}
  {"cmd": "free"}                                                         -> {"ok": true}
The first line says whether torch is importable (bench/peers/peer.py).
"""
import time

import peer

torch = peer.start()
nn = torch.nn

from fixture_models import BUILDERS  # noqa: E402 (after peer.start, which reports a missing torch)

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


peer.serve({
    "setup": lambda r: {"ok": True, "parameters": setup(r["model"], int(r["batch"]), int(r.get("batches", 8)), int(r.get("seed", 0)))},
    "run": lambda r: {"seconds": run(r["model"], int(r["reps"]), peer.threads(r))},
    "free": peer.free_handler(setups),
})
