"""PyTorch's torch.optim optimizers (Adam by default) as a benchmark peer of ortrain.

Reads one JSON request per line on stdin and answers one JSON line on stdout, so the Node side can
interleave it with its own contestants round by round:
  {"cmd": "setup", "sizes": [n, ...], "seed": 0, "algorithm": "Adam", "kwargs": {"lr": 1e-3}}
                                                  -> {"ok": true}   (one parameter per size, with a gradient;
                                                     algorithm: a torch.optim class name, kwargs its arguments)
  {"cmd": "run", "foreach": true, "reps": r, "threads": t}
                                                  -> {"seconds": s}  (r back-to-back steps on t threads, timed here)
  {"cmd": "free"}                                 -> {"ok": true}
The first line says whether torch is importable (bench/peers/peer.py).
Run with no arguments and no stdin requests it exits as soon as stdin closes.
"""
import peer

torch = peer.start()

optimizers = {}


def setup(sizes, seed, algorithm="Adam", kwargs=None):
    """One set of parameters per foreach setting, so their optimizer states never mix."""
    cls = getattr(torch.optim, algorithm)
    kwargs = dict(kwargs or {"lr": 1e-3})
    optimizers.clear()
    generator = torch.Generator().manual_seed(seed)
    for foreach in (True, False):
        params = []
        for n in sizes:
            p = (torch.rand(n, generator=generator) * 2 - 1).requires_grad_()
            p.grad = torch.rand(n, generator=generator) * 0.02 - 0.01
            params.append(p)
        optimizers[foreach] = cls(params, foreach=foreach, **kwargs)


def run(foreach, reps, threads):
    opt = optimizers[foreach]
    torch.set_num_threads(threads)
    return peer.timed(reps, opt.step)


def setup_request(request):
    setup(request["sizes"], request.get("seed", 0), request.get("algorithm", "Adam"), request.get("kwargs"))
    return {"ok": True}


peer.serve({
    "setup": setup_request,
    "run": lambda r: {"seconds": run(bool(r["foreach"]), int(r["reps"]), peer.threads(r))},
    "free": peer.free_handler(optimizers),
})
