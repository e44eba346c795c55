"""Probe orchestration: one probe's two phases (convert, measure) in subprocesses, several probes with their
conversions in parallel and their measurements alone, each result stored. The other parts of a probe live beside
it: request validation (`request`), store glue (`persist`), plan integration (`replan`), terminal progress
(`progress`) and recalibration glue (`localcal`); their public names are re-exported here for older importers."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from . import models
from .backends import install_hint, missing_module, worker_python
from .env import environment
from .isolate import run_phase
from .localcal import local_calibration  # noqa: F401  (re-exported: cli, tui, sweep and tests import it from here)
from .persist import save_result, tidy_logs
from .progress import progress_steps as _progress  # noqa: F401  (re-exported)
from .replan import measurement, probe_plan, probe_reason  # noqa: F401  (re-exported)
from .request import check_request, default_threads, require_backend  # noqa: F401  (re-exported)
from .runs import RunDir, sweep
from .spec import Measured, ProbeRequest, ProbeResult

log = logging.getLogger(__name__)
BUSY_SHARE = 0.25  # other processes above this share of all CPUs while timing: the speeds are not this machine's
SPEC_KEYS = ("weights_gib", "peak_memory_gib", "decode_tokens_per_s", "prefill_tokens_per_s", "ppl_increase_pct")


class _Run:
    """One probe's two phases (convert, measure), each a subprocess in the run's own work folder."""

    def __init__(self, req: ProbeRequest, pm: models.ProbeModel, base: dict, cancel: threading.Event):
        self.req, self.pm, self.base, self.cancel = req, pm, base, cancel
        self.t0 = time.perf_counter()
        self.dir = RunDir(models.cache_root() / "runs")  # owned (flock) until cleanup(): a killed run is swept later
        self.run_id, self.work, self.logs = self.dir.run_id, self.dir.path, models.cache_root() / "logs"
        self.args = ["--backend", req.backend, "--quant", req.quant, "--model", req.model, "--threads",
                     str(req.threads), "--prompt-tokens", str(req.prompt_tokens), "--gen-tokens", str(req.gen_tokens)]
        self.conv = self.meas = None

    def phase(self, name: str):
        return run_phase(name, self.args, self.work, self.req.timeout_s, self.req.mem_cap_gib,
                         log=self.logs / f"{self.run_id}-{name}.log", cancel=self.cancel,
                         python=worker_python(self.req.backend))

    def convert(self, step) -> None:
        step(f"{self.req.backend} {self.req.quant}: converting")
        self.conv = self.phase("convert")

    def measure(self, step) -> None:
        if self.conv is not None and self.conv.ok:
            step(f"{self.req.backend} {self.req.quant}: measuring")
            self.meas = self.phase("measure")

    def cleanup(self) -> None:
        self.dir.release()  # the run's folder goes whatever happened, Ctrl-C and SIGTERM included

    def result(self, save: bool) -> ProbeResult:
        conv, meas = self.conv, self.meas
        assert conv is not None, "result() before convert()"
        bad = conv if not conv.ok else meas
        ok = bad is None or bad.ok
        measured = _measured(conv.data, meas.data if meas and meas.ok else {}, Path(conv.data.get("artifact", "")))
        tidy_logs(self.logs, self.run_id, keep=not ok)
        env, busy = dict(self.base["env"]), False
        if meas is not None and meas.usage is not None:  # the load while the speeds were timed
            env["load"] = meas.usage.as_dict()
            busy = meas.usage.other_share > BUSY_SHARE
            if busy:
                measured = measured.model_copy(update={"notes": [*measured.notes, load_note(meas.usage)]})
        res = ProbeResult(**{**self.base, "env": env}, model=self.pm.name, ok=ok,
                          reason=None if ok or bad is None else bad.reason,
                          measured=measured, predicted=predict_probe(self.pm, self.req) if ok else None,
                          under_load=busy, wall_s=round(time.perf_counter() - self.t0, 2))
        return save_result(res) if save else res


def load_note(u) -> str:
    return (f"measured under load: other processes took {u.other_share:.0%} of the {u.cpus} CPUs while the speeds "
            f"were timed (load average up to {u.loadavg_max:.1f}); speeds kept but not used to recalibrate")


def _start(req: ProbeRequest, save: bool, cancel: threading.Event) -> "_Run | ProbeResult":
    """A run ready to convert, or the failed result when the backend is not installed."""
    req = req.model_copy(update={"quant": check_request(req.backend, req.quant)})
    base: dict[str, Any] = dict(backend=req.backend, quant=req.quant, env=environment(req.threads, req.backend))
    gone = missing_module(req.backend)
    if gone:
        res = ProbeResult(**base, model=req.model, ok=False, reason=f"backend not installed (no module {gone!r}): "
                                                    f"{install_hint(req.backend)}")
        return save_result(res) if save else res
    return _Run(req, models.resolve(req.model), base, cancel)


def run_probe(req: ProbeRequest, step=None, save: bool = True) -> ProbeResult:
    """Convert then measure in two subprocesses; any failure becomes ok=False with its reason. step(msg) reports."""
    return run_probes([req], step=step, save=save)[0]


def run_probes(reqs: list[ProbeRequest], step=None, save: bool = True, parallel_convert: int = 2) -> list[ProbeResult]:
    """Several probes: the conversions run `parallel_convert` at a time (separate processes, mostly one core each),
    then every measurement runs alone so that the timings are not disturbed. Results keep the order of `reqs`."""
    from concurrent.futures import ThreadPoolExecutor

    step = step or (lambda msg: None)
    sweep(models.cache_root() / "runs")  # folders of probes that were SIGKILLed before they could clean up
    cancel = threading.Event()  # set when this thread is interrupted: the conversion threads kill their workers
    started = [_start(r, save, cancel) for r in reqs]
    runs = [r for r in started if isinstance(r, _Run)]
    pool = ThreadPoolExecutor(max_workers=max(1, parallel_convert))
    try:
        try:
            list(pool.map(lambda r: r.convert(step), runs))
        except BaseException:
            cancel.set()
            raise
        finally:
            pool.shutdown(wait=True)
        out = []
        for r in started:
            if isinstance(r, _Run):
                r.measure(step)
                res = r.result(save)  # sizes are read from the run's folder: before its cleanup
                r.cleanup()
                r = res
            out.append(r)
        return out
    finally:
        for r in runs:
            r.cleanup()


def _measured(c: dict, m: dict, artifact: Path) -> Measured:
    # the artifact's folder holds exactly what the backend wrote (GGUF; ONNX; IR .xml + .bin; MLX folder)
    size = models.dir_bytes(artifact.parent if artifact.is_file() else artifact) if artifact.name and artifact.exists() else None
    keep = {k: m.get(k) for k in ("peak_memory_gib", "decode_tokens_per_s", "prefill_tokens_per_s",
                                  "ppl_increase_pct", "kld", "top1_agreement", "perplexity", "perplexity_ref",
                                  "load_s", "decode_power_w", "decode_energy_j_per_token")}
    notes = list(c.get("notes", []))
    if m.get("energy_note"):
        notes.append(f"energy not measured: {m['energy_note']}")
    if c.get("model_build"):
        notes.append(f"probe model built this run: {c['model_build']}")
    return Measured(**keep, file_bytes=size, weights_gib=size / 2**30 if size else None, convert_s=c.get("convert_s"),
                    base_convert_s=c.get("base_convert_s"), tensor_types=c.get("tensor_types"),
                    method=c.get("method"), notes=notes)


def predict_probe(pm: models.ProbeModel, req: ProbeRequest) -> dict[str, float] | None:
    """The advisor's own prediction for the probe model on this machine (--device auto, shipped calibration)."""
    from ..calibration import load_calibration
    from ..detect import detect_profile
    from ..knowledge import load_knowledge
    from ..predict import Workload, predict
    from ..resolve import spec_from_config_dir

    try:
        spec = spec_from_config_dir(pm.hf_dir)
        kb = load_knowledge()
        if kb.format(req.backend, req.quant) is None:
            return None
        work = Workload(context=req.prompt_tokens + req.gen_tokens, prompt_tokens=req.prompt_tokens,
                        gen_tokens=req.gen_tokens)
        pred, _ = predict(detect_profile(), spec, req.backend, "cpu", req.quant, work, kb, load_calibration())
    except Exception as exc:  # a prediction problem must not lose a measurement
        log.warning("no prediction for the probe model: %s", exc)
        return None
    return {k: getattr(pred, k).value for k in SPEC_KEYS}
