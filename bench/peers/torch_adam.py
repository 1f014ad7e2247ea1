"""PyTorch's torch.optim.Adam as a benchmark peer of ortrain.

Reads one JSON request per line on stdin and answers one JSON line on stdout, so the Node side can
interleave it with its own contestants round by round:
  {"cmd": "setup", "sizes": [n, ...], "seed": 0}  -> {"ok": true}   (one parameter per size, with a gradient)
  {"cmd": "run", "foreach": true, "reps": r, "threads": t}
                                                  -> {"seconds": s}  (r back-to-back steps on t threads, timed here)
  {"cmd": "free"}                                 -> {"ok": true}
The first line it prints says whether torch is importable: {"ready": true, "torch": "1.13.0", "threads": 2}
(threads: the default for runs, the machine's core count).
Run with no arguments and no stdin requests it exits as soon as stdin closes.
"""
import json
import os
import sys
import time

try:
    import torch
except ImportError as e:  # the Node side prints 'not installed'
    print(json.dumps({"ready": False, "error": f"torch not importable: {e}"}), flush=True)
    sys.exit(0)

torch.set_num_threads(os.cpu_count() or 1)
print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)

optimizers = {}


def setup(sizes, seed):
    """One set of parameters per foreach setting, so their Adam states never mix."""
    optimizers.clear()
    generator = torch.Generator().manual_seed(seed)
    for foreach in (True, False):
        params = []
        for n in sizes:
            p = (torch.rand(n, generator=generator) * 2 - 1).requires_grad_()
            p.grad = torch.rand(n, generator=generator) * 0.02 - 0.01
            params.append(p)
        optimizers[foreach] = torch.optim.Adam(params, lr=1e-3, foreach=foreach)


def run(foreach, reps, threads):
    opt = optimizers[foreach]
    torch.set_num_threads(threads)
    start = time.perf_counter_ns()
    for _ in range(reps):
        opt.step()
    return (time.perf_counter_ns() - start) / 1e9


for line in sys.stdin:
    request = json.loads(line)
    try:
        cmd = request["cmd"]
        if cmd == "setup":
            setup(request["sizes"], request.get("seed", 0))
            reply = {"ok": True}
        elif cmd == "run":
            threads = int(request.get("threads", os.cpu_count() or 1))
            reply = {"seconds": run(bool(request["foreach"]), int(request["reps"]), threads)}
        elif cmd == "free":
            optimizers.clear()
            reply = {"ok": True}
        else:
            reply = {"error": f"unknown cmd {cmd!r}"}
    except Exception as e:  # answer, so the Node side can report it and go on
        reply = {"error": f"{type(e).__name__}: {e}"}
    print(json.dumps(reply), flush=True)
