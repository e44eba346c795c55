"""Probe request validation: which backend and quantization a probe may make here, and the defaults it runs with.
Fails with exit 2 (unknown backend or quantization) or 3 (backend not installed) before anything is built."""

from __future__ import annotations

from ..errors import BackendMissing, InputError
from .backends import install_hint, missing_module, probed_backends
from .spec import canonical, probe_quants


def default_threads() -> int:
    import psutil

    return psutil.cpu_count(logical=False) or 1


def check_request(backend: str, quant: str) -> str:
    """The canonical quantization id for `backend`, or an InputError naming the choices."""
    if backend not in probed_backends():
        from ..schemas import BACKEND_IDS

        what = "has no probe on this machine (its registry entry names none)" if backend in BACKEND_IDS else "is unknown"
        raise InputError(f"backend {backend!r} {what}; choose one of {', '.join(probed_backends())}")
    q = canonical(backend, quant)
    if q is None:
        raise InputError(f"{backend} probes cannot make {quant!r}; choose one of {', '.join(probe_quants(backend))}")
    return q


def require_backend(backend: str) -> None:
    gone = missing_module(backend)
    if gone:
        raise BackendMissing(backend, gone, install_hint(backend))
