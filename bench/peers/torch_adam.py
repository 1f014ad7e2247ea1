"""PyTorch's torch.optim.Adam as a benchmark peer of ortrain.

Reads one JSON request per line on stdin and answers one JSON line on stdout, so the Node side can
interleave it with its own contestants round by round:
  {"cmd": "setup", "sizes": [n, ...], "seed": 0}  -> {"ok": true}   (one parameter per size, with a gradient)
  {"cmd": "run", "foreach": true, "reps": r, "threads": t}
                                                  -> {"seconds": s}  (r back-to-back steps on t threads, timed here)
  {"cmd": "free"}                                 -> {"ok": true}
The first line says whether torch is importable (bench/peers/peer.py).
Run with no arguments and no stdin requests it exits as soon as stdin closes.
"""
import time

import peer

torch = peer.start()

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


def setup_request(request):
    setup(request["sizes"], request.get("seed", 0))
    return {"ok": True}


def free(_request):
    optimizers.clear()
    return {"ok": True}


peer.serve({
    "setup": setup_request,
    "run": lambda r: {"seconds": run(bool(r["foreach"]), int(r["reps"]), peer.threads(r))},
    "free": free,
})
