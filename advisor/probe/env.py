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


def versions(backend: str | None = None) -> dict[str, str]:
    """Installed versions of the probe stack; a backend whose probe runs from its own environment reports that
    environment's (its worker imports from there)."""
    out = {}
    for d in dists():
        try:
            out[d] = metadata.version(d)
        except metadata.PackageNotFoundError:
            pass
    if backend is not None:
        out.update(_venv_versions(backend))
    return out


def _venv_versions(backend: str) -> dict[str, str]:
    import json
    import subprocess
    import sys

    from ..knowledge import load_knowledge
    from .backends import worker_python

    b = load_knowledge().backends.get(backend)
    py = worker_python(backend) if b is not None and b.probe is not None else sys.executable
    if py == sys.executable:
        return {}
    code = ("import json,sys\nfrom importlib import metadata\nout={}\nfor d in sys.argv[1:]:\n    try: "
            "out[d]=metadata.version(d)\n    except metadata.PackageNotFoundError: pass\nprint(json.dumps(out))")
    try:
        dists = list(b.probe.dists) if b is not None and b.probe is not None else []
        r = subprocess.run([py, "-c", code, *dists, *COMMON_DISTS], capture_output=True, text=True, timeout=60)
        return json.loads(r.stdout) if r.returncode == 0 else {}
    except (OSError, subprocess.SubprocessError, ValueError):
        return {}


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


def environment(threads: int, backend: str | None = None) -> dict:
    return {"machine": machine(), "fingerprint": fingerprint(), "versions": versions(backend), "probe_threads": threads}
