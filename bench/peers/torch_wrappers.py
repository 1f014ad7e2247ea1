"""PyTorch eager training steps with the wrappers, as a benchmark peer of ortrain: plain Adam, SAM over Adam
in the manner of quadra's SAM (two forward/backward passes, global gradient norm) and Lookahead over Adam
in the manner of holocron's (every 6 steps slow += 0.5 * (fast - slow), fast = slow). Written here in plain
PyTorch, so no wrapper library is needed. Same models, batches and loss as bench/peers/torch_train.py.
  {"cmd": "setup", "model": "mlp", "variant": "sam", "batch": 32, "batches": 8, "seed": 0} -> {"ok": true}
  {"cmd": "run", "model": "mlp", "variant": "sam", "reps": r, "threads": t}                 -> {"seconds": s}
  {"cmd": "free"}                                                                          -> {"ok": true}
"""
import time

import peer

torch = peer.start()
nn = torch.nn

from fixture_models import BUILDERS  # noqa: E402 (after peer.start, which reports a missing torch)

RHO = 0.05
SYNC_RATE, SYNC_PERIOD = 0.5, 6
setups = {}


def plain_step(s, x, y):
    s["optimizer"].zero_grad(set_to_none=True)
    loss = s["loss_fn"](s["model"](x), y)
    loss.backward()
    s["optimizer"].step()
    return loss


def sam_step(s, x, y):
    model, optimizer, params = s["model"], s["optimizer"], s["params"]
    optimizer.zero_grad(set_to_none=True)
    loss = s["loss_fn"](model(x), y)
    loss.backward()
    with torch.no_grad():
        norm = torch.norm(torch.stack([p.grad.norm(2) for p in params]), 2)
        scale = RHO / (norm + 1e-12)
        ascents = []
        for p in params:
            e = p.grad * scale
            p.add_(e)
            ascents.append(e)
    optimizer.zero_grad(set_to_none=True)
    s["loss_fn"](model(x), y).backward()
    with torch.no_grad():
        for p, e in zip(params, ascents):
            p.sub_(e)
    optimizer.step()
    return loss


def lookahead_step(s, x, y):
    loss = plain_step(s, x, y)
    s["fast_steps"] += 1
    if s["fast_steps"] % SYNC_PERIOD == 0:
        with torch.no_grad():
            for p, slow in zip(s["params"], s["slow"]):
                slow.add_(p - slow, alpha=SYNC_RATE)
                p.copy_(slow)
    return loss


STEPS = {"adam": plain_step, "sam": sam_step, "lookahead": lookahead_step}


def setup(name, variant, batch, batches, seed):
    torch.manual_seed(seed)
    model, sample_shape = BUILDERS[name]()
    model.train()
    params = list(model.parameters())
    data = [(torch.rand(batch, *sample_shape), torch.randint(0, 10, (batch,))) for _ in range(batches)]
    setups[(name, variant)] = {
        "model": model, "params": params, "data": data, "next": 0, "fast_steps": 0,
        "optimizer": torch.optim.Adam(params, lr=1e-3), "loss_fn": nn.CrossEntropyLoss(),
        "slow": [p.detach().clone() for p in params],
    }


def run(name, variant, reps, threads):
    torch.set_num_threads(threads)
    s = setups[(name, variant)]
    step = STEPS[variant]
    k = s["next"]
    start = time.perf_counter_ns()
    for _ in range(reps):
        x, y = s["data"][k]
        k = (k + 1) % len(s["data"])
        step(s, x, y).item()
    seconds = (time.perf_counter_ns() - start) / 1e9
    s["next"] = k
    return seconds


peer.serve({
    "setup": lambda r: setup(r["model"], r["variant"], int(r["batch"]), int(r.get("batches", 8)), int(r.get("seed", 0))) or {"ok": True},
    "run": lambda r: {"seconds": run(r["model"], r["variant"], int(r["reps"]), peer.threads(r))},
    "free": peer.free_handler(setups),
})
