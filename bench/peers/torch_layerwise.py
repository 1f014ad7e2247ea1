"""Plain PyTorch implementations of LAMB, LARS and Adan (torch.optim has none), as benchmark peers of ortrain.

The same formulas as ortrain's defaults (LAMB bias-corrected with scale_clip (0, 10); LARS as quadra with a
trust coefficient; Adan as the official sail-sg code), written as a loop over the parameters, one tensor at a
time, with in-place tensor ops: what a user without a library would write. torch.optim.Adam with
foreach=False is the loop's reference point.
Protocol (bench/peers/peer.py):
  {"cmd": "setup", "sizes": [n, ...], "seed": 0}          -> {"ok": true}
  {"cmd": "run", "algo": "lamb", "reps": r, "threads": t}  -> {"seconds": s}
  {"cmd": "free"}                                          -> {"ok": true}
"""
import math

import peer

torch = peer.start()

ALGOS = ("adam", "lamb", "lars", "adan")
state = {}


class Lamb:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, clip=(0.0, 10.0)):
        self.params, self.lr, self.betas, self.eps, self.wd, self.clip = params, lr, betas, eps, weight_decay, clip
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.t = 0

    @torch.no_grad()
    def step(self):
        self.t += 1
        b1, b2 = self.betas
        bc1, bc2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            u = (m / bc1) / (v / bc2).sqrt_().add_(self.eps)
            if self.wd:
                u.add_(p, alpha=self.wd)
            phi = p.norm().clamp(*self.clip)
            un = u.norm()
            ratio = phi / un if phi > 0 and un > 0 else 1.0
            p.add_(u, alpha=-self.lr * float(ratio))


class Lars:
    def __init__(self, params, lr=1e-3, momentum=0.9, weight_decay=1e-4, trust_coefficient=1e-3, eps=1e-8):
        self.params, self.lr, self.mom, self.wd, self.tc, self.eps = params, lr, momentum, weight_decay, trust_coefficient, eps
        self.buf = [None for _ in params]

    @torch.no_grad()
    def step(self):
        for i, p in enumerate(self.params):
            g = p.grad
            d = g.add(p, alpha=self.wd)
            pn, gn = p.norm(), g.norm()
            if self.wd and pn > 0 and gn > 0:
                d.mul_(self.tc * pn / (gn + pn * self.wd + self.eps))
            if self.buf[i] is None:
                self.buf[i] = d.clone()
            else:
                self.buf[i].mul_(self.mom).add_(d)
            p.add_(self.buf[i], alpha=-self.lr)


class Adan:
    def __init__(self, params, lr=1e-3, betas=(0.98, 0.92, 0.99), eps=1e-8, weight_decay=0.0):
        self.params, self.lr, self.betas, self.eps, self.wd = params, lr, betas, eps, weight_decay
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        self.n = [torch.zeros_like(p) for p in params]
        self.prev = [None for _ in params]
        self.t = 0

    @torch.no_grad()
    def step(self):
        self.t += 1
        b1, b2, b3 = self.betas
        bc1, bc2, bc3 = 1 - b1 ** self.t, 1 - b2 ** self.t, 1 - b3 ** self.t
        for i, p in enumerate(self.params):
            g = p.grad
            d = g - (self.prev[i] if self.prev[i] is not None else g)
            self.m[i].mul_(b1).add_(g, alpha=1 - b1)
            self.v[i].mul_(b2).add_(d, alpha=1 - b2)
            z = g + b2 * d
            self.n[i].mul_(b3).addcmul_(z, z, value=1 - b3)
            denom = self.n[i].sqrt().div_(math.sqrt(bc3)).add_(self.eps)
            p.addcdiv_(self.m[i], denom, value=-self.lr / bc1)
            p.addcdiv_(self.v[i], denom, value=-self.lr * b2 / bc2)
            if self.wd:
                p.div_(1 + self.lr * self.wd)
            self.prev[i] = g.clone()


def setup(sizes, seed):
    """One set of parameters per algorithm, so their states never mix."""
    state.clear()
    generator = torch.Generator().manual_seed(seed)
    for algo in ALGOS:
        params = []
        for n in sizes:
            p = (torch.rand(n, generator=generator) * 2 - 1).requires_grad_()
            p.grad = torch.rand(n, generator=generator) * 0.02 - 0.01
            params.append(p)
        if algo == "adam":
            state[algo] = torch.optim.Adam(params, lr=1e-3, foreach=False)
        elif algo == "lamb":
            state[algo] = Lamb(params, weight_decay=0.01)
        elif algo == "lars":
            state[algo] = Lars(params)
        else:
            state[algo] = Adan(params, weight_decay=0.02)


def run(algo, reps, threads):
    opt = state[algo]
    torch.set_num_threads(threads)
    return peer.timed(reps, opt.step)


peer.serve({
    "setup": lambda r: (setup(r["sizes"], r.get("seed", 0)), {"ok": True})[1],
    "run": lambda r: {"seconds": run(r["algo"], int(r["reps"]), peer.threads(r))},
    "free": peer.free_handler(state),
})
