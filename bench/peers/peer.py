"""The line protocol of a Python benchmark peer, as bench/python-peer.ts speaks it.

The peer's first line says whether torch is importable: {"ready": true, "torch": "1.13.0", "threads": 2}
(threads: the default for runs, the machine's core count), or {"ready": false, "error": ...} before it exits.
Then it reads one JSON request per line on stdin, {"cmd": ..., ...}, and answers each with one JSON line
on stdout until stdin closes; an unknown command or a failing handler is answered with {"error": ...}.
"""
import json
import os
import sys
import time


def start():
    """Imports torch, says whether it could, and returns it; exits when it cannot (the Node side prints
    'not installed')."""
    try:
        import torch
    except ImportError as e:
        print(json.dumps({"ready": False, "error": f"torch not importable: {e}"}), flush=True)
        sys.exit(0)
    torch.set_num_threads(os.cpu_count() or 1)
    print(json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    return torch


def threads(request):
    """The thread count a 'run' request asks for, by default the machine's cores."""
    return int(request.get("threads", os.cpu_count() or 1))


def timed(reps, step):
    """Wall seconds that `reps` back-to-back calls of step() take."""
    start = time.perf_counter_ns()
    for _ in range(reps):
        step()
    return (time.perf_counter_ns() - start) / 1e9


def free_handler(store):
    """The 'free' command of a peer that keeps its setups in `store` (a dict): forget them all."""
    def free(_request):
        store.clear()
        return {"ok": True}
    return free


def serve(handlers):
    """Answers requests with handlers[cmd](request) until stdin closes."""
    for line in sys.stdin:
        request = json.loads(line)
        try:
            handler = handlers.get(request["cmd"])
            reply = handler(request) if handler else {"error": f"unknown cmd {request['cmd']!r}"}
        except Exception as e:  # answer, so the Node side can report it and go on
            reply = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(reply), flush=True)
