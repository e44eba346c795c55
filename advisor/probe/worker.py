"""One phase of one probe, in its own process: `python -m advisor.probe.worker convert|measure ...`.

convert: build the probe model + reference if needed, quantize into OUT, write OUT/convert.json.
measure: load what convert made, time and score it, write OUT/measure.json (peak RSS is this process's own).
A failure writes {"error": one line} and exits 1 (3 when a backend module is missing); results are written
atomically, and a worker that cannot write one (full disk) exits 1 with one line on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OLIVE_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("CI", "true")  # OpenVINO skips telemetry


def _convert(a) -> dict:
    from . import backends, models

    pm = models.resolve(a.model)
    info = models.ensure(pm)
    _, _, calib = models.load_reference(pm, a.prompt_tokens)
    art = Path(a.out) / "artifact"
    art.mkdir(parents=True, exist_ok=True)
    conv = backends.get(a.backend).convert(pm, a.quant, art, a.threads, calib)
    d = asdict(conv)
    d["artifact"] = str(conv.artifact)
    d["model_build"] = info
    return d


def _measure(a) -> dict:
    from . import backends, models
    from .backends import Converted
    from .harness import measure

    pm = models.resolve(a.model)
    d = json.loads((Path(a.out) / "convert.json").read_text())
    conv = Converted(**{k: v for k, v in d.items() if k in Converted.__dataclass_fields__})
    conv.artifact = Path(conv.artifact)
    ids = models.load_ids(pm, a.prompt_tokens)
    be = backends.get(a.backend)
    return measure(lambda: be.load(pm, conv, a.threads), conv, ids,
                   lambda: models.load_reference(pm, a.prompt_tokens)[1], a.gen_tokens)


def _die_with_parent(poll_s: float = 0.5) -> None:
    """The worker leads its own session (so Ctrl-C reaches the advisor, which then kills it): should the advisor
    itself be SIGKILLed, nothing would stop the worker, its timeout and memory cap included. A daemon thread
    notices the parent is gone (this process is re-parented) and kills the worker's whole process group."""
    import signal
    import threading

    # the advisor names itself: it may already be gone when this line runs (getppid() would then say 1)
    parent = int(os.environ.get("ADVISOR_PROBE_PARENT") or os.getppid())

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        if os.getpgid(0) == os.getpid():  # we lead our group (start_new_session): take the backend's children too
            os.killpg(os.getpid(), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m advisor.probe.worker")
    ap.add_argument("phase", choices=["convert", "measure"])
    ap.add_argument("--backend", required=True)
    ap.add_argument("--quant", required=True)
    ap.add_argument("--model", default="builtin")
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt-tokens", type=int, default=256)
    ap.add_argument("--gen-tokens", type=int, default=32)
    a = ap.parse_args(argv)
    _die_with_parent()
    os.environ.setdefault("OMP_NUM_THREADS", str(a.threads))
    from ..atomic import write_text_atomic
    from ..errors import AdvisorError, BackendMissing

    path = Path(a.out) / f"{a.phase}.json"
    t = time.perf_counter()
    try:
        data = _convert(a) if a.phase == "convert" else _measure(a)
        code = 0
    except (BackendMissing, ImportError) as exc:
        data, code = {"error": f"{exc.__class__.__name__}: {exc}".splitlines()[0]}, 3
    except AdvisorError as exc:
        data, code = {"error": str(exc)}, 1
    except Exception as exc:  # the worker's boundary: any failure becomes a failed probe with its reason
        if os.environ.get("ADVISOR_DEBUG"):
            raise
        msg = (str(exc).strip().splitlines() or [""])[0][:400]
        data, code = {"error": f"{exc.__class__.__name__}: {msg}"}, 1
    data["phase_s"] = time.perf_counter() - t
    try:  # atomic: the parent reads a whole result or none, never half of one
        write_text_atomic(path, json.dumps(data, default=str))
    except OSError as exc:  # e.g. the disk is full: one line in the log, the parent explains the exit code
        with contextlib.suppress(OSError):  # the log may sit on the same full disk
            print(f"advisor.probe.worker: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return code or 1
    return code


if __name__ == "__main__":
    sys.exit(main())
