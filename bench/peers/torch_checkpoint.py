"""torch.save / torch.load of a model's parameters with Adam's state, as a benchmark peer of ortrain's
checkpoints (bench/checkpoint). Line protocol: bench/peers/peer.py.
  {"cmd": "setup", "shapes": [[...], ...], "path": p}  -> {"ok": true, "bytes": n}
      parameters of these shapes, one Adam step taken (so exp_avg and exp_avg_sq exist), saved once to p
  {"cmd": "save", "reps": r, "atomic": b}  -> {"seconds": s}  torch.save of {model, optimizer} to p;
      atomic: into a temporary file, flushed, fsync'd and renamed over p, as ortrain saves
  {"cmd": "load", "reps": r}               -> {"seconds": s}  torch.load of p, then the values put back
      into the parameters and the optimizer (load_state_dict), as ortrain's loadCheckpoint does
"""
import os
import time

import peer

torch = peer.start()

state = {}


def setup(request):
    generator = torch.Generator().manual_seed(0)
    params = {f"p{i}": torch.randn(*shape, generator=generator).requires_grad_() for i, shape in enumerate(request["shapes"])}
    opt = torch.optim.Adam(params.values(), lr=1e-3)
    for p in params.values():
        p.grad = torch.randn(p.shape, generator=generator)
    opt.step()
    state.update(params=params, opt=opt, path=request["path"])
    save(1, False)
    return {"ok": True, "bytes": os.path.getsize(request["path"])}


def content():
    return {"model": {k: p.detach() for k, p in state["params"].items()}, "optimizer": state["opt"].state_dict()}


def save(reps, atomic):
    path = state["path"]
    start = time.perf_counter_ns()
    for _ in range(reps):
        if atomic:
            temp = path + ".tmp"
            with open(temp, "wb") as f:
                torch.save(content(), f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, path)
        else:
            torch.save(content(), path)
    return (time.perf_counter_ns() - start) / 1e9


def load(reps):
    start = time.perf_counter_ns()
    for _ in range(reps):
        saved = torch.load(state["path"])
        with torch.no_grad():
            for k, p in state["params"].items():
                p.copy_(saved["model"][k])
        state["opt"].load_state_dict(saved["optimizer"])
    return (time.perf_counter_ns() - start) / 1e9


peer.serve({
    "setup": setup,
    "save": lambda r: {"seconds": save(int(r["reps"]), bool(r.get("atomic")))},
    "load": lambda r: {"seconds": load(int(r["reps"]))},
    "free": peer.free_handler(state),
})
