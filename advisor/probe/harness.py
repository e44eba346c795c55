"""Time and score a loaded probe Runner the same way for every backend (runs inside the worker subprocess)."""

from __future__ import annotations

import resource
import time

import numpy as np

from .backends import Converted, Runner
from .metrics import compare

GIB = float(2**30)


def peak_rss_gib() -> float:
    """This process's RSS high-water mark. VmHWM belongs to the address space (reset by exec); ru_maxrss is
    inherited across exec on Linux, so it would report the parent's peak when that was higher."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / GIB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB  # KiB on Linux


def measure(load, conv: Converted, ids: np.ndarray, reference, gen_tokens: int) -> dict:
    """load() -> Runner. Quality on all of ids; prefill speed from the same pass; decode from greedy steps.
    Peak RSS is read before reference() loads the FP32 logits and the comparison allocates its float64 copies."""
    t = time.perf_counter()
    runner: Runner = load()
    load_s = time.perf_counter() - t
    runner.begin(ids[:8])  # warm-up: lazy compilation and first allocations stay out of the timings
    t = time.perf_counter()
    logits = runner.forward_all(ids)
    prefill_s = time.perf_counter() - t
    out: dict = {"load_s": load_s, "prefill_tokens_per_s": len(ids) / prefill_s if prefill_s > 0 else None}
    if conv.measures_speed:
        from . import rapl

        last = runner.begin(ids[:32])
        e0 = rapl.read()
        t = time.perf_counter()
        for _ in range(gen_tokens):
            last = runner.step(int(np.argmax(last)))
        dt = time.perf_counter() - t
        out["decode_tokens_per_s"] = gen_tokens / dt
        spent = rapl.joules(e0, rapl.read())
        if spent is not None and dt > 0:  # package energy of the decode loop (RAPL), where the machine has it
            out["decode_energy_j_per_token"] = spent / gen_tokens
            out["decode_power_w"] = spent / dt
        else:
            out["energy_note"] = rapl.reason() or "RAPL read failed during the decode loop"
    else:
        out["prefill_tokens_per_s"] = None
    out["peak_memory_gib"] = peak_rss_gib()
    out.update(compare(reference(), logits, ids))
    return out
