"""The environment a probe ran in (backend versions, CPU, threads) and this machine's fingerprint."""

from __future__ import annotations

import hashlib
import platform
from functools import lru_cache
from importlib import metadata

COMMON_DISTS = ("torch", "transformers", "optimum", "onnx")  # the conversion stack several probes share


def dists() -> tuple[str, ...]:
    """Distributions whose versions a probe records: every registered probe's `dists` plus the shared stack."""
    from ..knowledge import load_knowledge

    names = [d for b in load_knowledge().backends.values() if b.probe for d in b.probe.dists]
    return tuple(dict.fromkeys([*names, *COMMON_DISTS]))


def versions() -> dict[str, str]:
    out = {}
    for d in dists():
        try:
            out[d] = metadata.version(d)
        except metadata.PackageNotFoundError:
            pass
    return out


@lru_cache(maxsize=1)
def machine() -> dict:
    import psutil

    from ..detect import _cpuinfo

    model, feats, _ = _cpuinfo()
    return {"cpu": model, "arch": platform.machine(), "cores": psutil.cpu_count(logical=False),
            "threads": psutil.cpu_count(logical=True), "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "features": feats, "os": f"{platform.system()} {platform.release()}", "host": platform.node(),
            "python": platform.python_version()}


def fingerprint(m: dict | None = None) -> str:
    """Same CPU, core counts, RAM and host -> same machine (what local recalibration keys on)."""
    m = m or machine()
    key = "|".join(str(m.get(k)) for k in ("cpu", "arch", "cores", "threads", "ram_gib", "host"))
    return hashlib.sha1(key.encode()).hexdigest()[:16]


def environment(threads: int) -> dict:
    return {"machine": machine(), "fingerprint": fingerprint(), "versions": versions(), "probe_threads": threads}
