"""Writes test/data/numpy.json: what numpy (1.24, the version adadamp.json was recorded with) answers for the
roundings, reductions and random draws the dampers reproduce. Run with Debian's /usr/bin/python3:
    /usr/bin/python3 packages/damping/scripts/make-numpy-fixture.py
"""
import json
import math
import os

import numpy as np

out = {"numpy_version": np.__version__}

# numpy's RandomState(seed).choice(n, size, replace=False), drawn one batch after another (adadamp's sampling).
sampling = []
for seed, n, sizes in [(0, 10, [4, 4, 10, 1]), (42, 1000, [8, 9, 33, 1000, 3]), (2**32 - 1, 70000, [16, 5]), (7, 1, [1, 1])]:
    rng = np.random.RandomState(seed=seed)
    batches = [rng.choice(n, size=s, replace=False).tolist() for s in sizes]
    sampling.append({"seed": seed, "dataset_size": n, "sizes": sizes, "batches": batches})
out["sampling"] = sampling

# Python's float floor division and numpy's round (ties to even).
pairs = [(1.0, 0.1), (0.3, 0.1), (0.7, 0.1), (0.104, 0.1), (2.5, 0.25), (-1.0, 0.3), (1.0, -0.3), (5.999999999999999, 2.0), (0.0, 0.1), (1e-300, 1e300)]
out["floor_div"] = [[a, b, a // b] for a, b in pairs]
xs = [0.5, 1.5, 2.5, -0.5, -1.5, 9.5, 10.5, 10.499999999999998, 12.000000000000002, 7.0]
out["round"] = [[x, float(np.round(x))] for x in xs]

# Reductions over float64 lists (np.mean's pairwise sums at every length up to 300), and float32 squared sums.
rng = np.random.RandomState(1)
values = (rng.standard_normal(300) * 10 ** rng.uniform(-3, 3, 300)).tolist()
out["values"] = values
out["mean"] = [float(np.mean(values[:n])) for n in range(1, 301)]
out["median"] = [float(np.median(values[:n])) for n in range(1, 301)]
g32 = (rng.standard_normal(1000) * 10 ** rng.uniform(-2, 2, 1000)).astype(np.float32)
out["float32_values"] = [float(x) for x in g32]
out["float32_sum_squares"] = [float(np.sum(g32[:n] ** 2)) for n in [1, 7, 8, 9, 100, 128, 129, 300, 1000]]
g64 = np.array(values)
out["float64_sum_squares"] = [float(np.sum(g64[:n] ** 2)) for n in [1, 7, 8, 9, 100, 128, 129, 300]]
# AdaDampNN's norm: Python's sum of np.sum(g**2) over the arrays, divided by the parameter count.
grads = [g32[:12].reshape(3, 4), g32[12:16], g32[16:1000]]
norm2 = sum(np.sum(g ** 2) for g in grads)
norm2 /= sum(g.size for g in grads)
out["adadampnn_norm2"] = {"splits": [12, 16, 1000], "norm2": float(norm2)}

path = os.path.join(os.path.dirname(__file__), "..", "test", "data", "numpy.json")
with open(path, "w") as f:
    json.dump(out, f)
    f.write("\n")
print("wrote", os.path.normpath(path))
