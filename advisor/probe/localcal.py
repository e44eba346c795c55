"""Recalibration glue: the shipped calibration plus corrections from this machine's stored probes. `plan`,
`predict`, `compare` and `claims` call `local_calibration` on every run, so this module imports none of the probe
machinery (subprocesses, psutil, numpy) at import time: only the store, when it is called."""

from __future__ import annotations

from functools import lru_cache


def local_calibration(cal, dev):
    """Corrections from stored probes: speed only for --device auto (dev.id == 'this-machine'), where the probes
    ran; quality (per backend, quant and architecture) for any device, since quality does not depend on it."""
    from .. import paths

    if not paths.measurement_store().exists():  # no probe yet: nothing to correct, and no SQLite to import
        return cal
    import logging

    from ..errors import AdvisorError
    from . import store
    from .recalibrate import LocalCalibration, corrections, quality_corrections

    try:
        results = store.load(ok_only=True)
    except AdvisorError as exc:  # an unreadable store must not stop a plan: plan with the shipped calibration
        logging.getLogger(__name__).warning("%s; planning without local corrections", exc)
        return cal
    corr, counts = quality_corrections(results, lru_cache(maxsize=None)(_architecture_of))  # one read per model
    if dev.id == "this-machine":
        from .env import fingerprint

        here = fingerprint()
        speed, speed_counts = corrections([r for r in results if r.env.get("fingerprint") == here])
        corr, counts = {**corr, **speed}, {**counts, **speed_counts}
    return LocalCalibration.wrap(cal, corr, counts) if corr else cal


def _architecture_of(model_name: str) -> str | None:
    """config.json model_type of a stored probe's model (builtin names or a local folder), or None."""
    import json

    from . import models

    arg = next((a for a, (name, _) in models.BUILTINS.items() if name == model_name), model_name)
    try:
        pm = models.resolve(arg)
        return json.loads((pm.hf_dir / "config.json").read_text()).get("model_type")
    except Exception:  # an unknown or deleted probe model just gives no quality correction
        return None
