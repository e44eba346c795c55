"""Run probes (isolated, stored) for `advisor probe` and `advisor plan --probe`; derive local corrections."""

from __future__ import annotations

from typing import Any

import logging
import threading
import time
from functools import lru_cache
from pathlib import Path

from ..errors import AdvisorError, BackendMissing, InputError
from ..schemas import ModelSpec, Plan, ProbeMeasurement
from . import models, store
from .backends import install_hint, missing_module, probed_backends, worker_python
from .env import environment, fingerprint
from .isolate import run_phase
from .runs import RunDir, sweep
from .spec import Measured, ProbeRequest, ProbeResult, canonical, probe_quants

log = logging.getLogger(__name__)
BUSY_SHARE = 0.25  # other processes above this share of all CPUs while timing: the speeds are not this machine's
SPEC_KEYS = ("weights_gib", "peak_memory_gib", "decode_tokens_per_s", "prefill_tokens_per_s", "ppl_increase_pct")


def default_threads() -> int:
    import psutil

    return psutil.cpu_count(logical=False) or 1


def check_request(backend: str, quant: str) -> str:
    if backend not in probed_backends():
        from ..schemas import BACKEND_IDS

        what = "has no probe on this machine (its registry entry names none)" if backend in BACKEND_IDS else "is unknown"
        raise InputError(f"backend {backend!r} {what}; choose one of {', '.join(probed_backends())}")
    q = canonical(backend, quant)
    if q is None:
        raise InputError(f"{backend} probes cannot make {quant!r}; choose one of {', '.join(probe_quants(backend))}")
    return q


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
        _tidy_logs(self.logs, self.run_id, keep=not ok)
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
        return _store(res) if save else res


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
        return _store(res) if save else res
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


def _store(res: ProbeResult) -> ProbeResult:
    """Save a result; when the store cannot take it (full disk, unwritable folder) the measurement is still
    returned, with a note saying it was not stored and why."""
    try:
        return store.save(res)
    except AdvisorError as exc:
        log.warning("%s", exc)
        m = res.measured.model_copy(update={"notes": [*res.measured.notes, f"not stored: {exc}"]})
        return res.model_copy(update={"measured": m})


def _tidy_logs(logs: Path, run_id: str, keep: bool, keep_failed: int = 20) -> None:
    """A successful run's logs go; a failed run's stay (its reason names them), the newest `keep_failed` runs'."""
    try:
        if not keep:
            for f in logs.glob(f"{run_id}-*.log"):
                f.unlink()
            return
        failed = sorted(logs.glob("*.log"), key=lambda f: f.stat().st_mtime)
        runs = list(dict.fromkeys(f.name.split("-")[0] for f in reversed(failed)))
        old = set(runs[keep_failed:])
        for f in failed:
            if f.name.split("-")[0] in old:
                f.unlink()
    except OSError as exc:  # tidying is best effort: a log left behind is not worth failing a probe for
        log.debug("could not tidy %s: %s", logs, exc)


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


def require_backend(backend: str) -> None:
    gone = missing_module(backend)
    if gone:
        raise BackendMissing(backend, gone, install_hint(backend))


# ------------------------------------------------------------------ plan --probe
def probe_plan(plan: Plan, spec: ModelSpec, top: int = 3, progress: bool = True, **req_kw) -> Plan:
    """Probe the first `top` candidates this machine can run; fill Candidate.measured; never raise for a probe."""
    model = _probe_model_for(spec)
    threads = req_kw.pop("threads", None) or default_threads()
    picked = [i for i, c in enumerate(plan.candidates) if c.runs_here and canonical(c.backend, c.quant)][:top]
    cands = list(plan.candidates)
    reqs = [ProbeRequest(backend=cands[i].backend, quant=canonical(cands[i].backend, cands[i].quant) or cands[i].quant,
                         model=model, threads=threads, **req_kw) for i in picked]
    with _progress(progress) as step:
        results = run_probes(reqs, step=step)
    for i, res in zip(picked, results):
        c = cands[i]
        cands[i] = c.model_copy(update={"measured": measurement(res), "reasons": [*c.reasons, probe_reason(res)]})
    out = plan.model_copy(update={"candidates": cands})
    if progress:
        from .report import comparison_table
        from rich.console import Console

        Console(stderr=True).print(comparison_table([cands[i] for i in picked]))
    return out


def _probe_model_for(spec: ModelSpec) -> str:
    """The plan's own model when it is a local folder with weights and small enough; else the builtin."""
    if spec.origin == "local" and spec.source:
        d = Path(spec.source).parent
        from ..architecture import count_params

        if (any(d.glob("*.safetensors")) or any(d.glob("*.bin"))) and count_params(spec).total < 0.6e9:
            return str(d)
    return "builtin"


def measurement(res: ProbeResult) -> ProbeMeasurement:
    """A probe result as Candidate.measured."""
    ratio = None
    if res.ok and res.predicted:
        ratio = {k: round(getattr(res.measured, k) / res.predicted[k], 3)
                 for k in ("decode_tokens_per_s", "prefill_tokens_per_s", "weights_gib")
                 if getattr(res.measured, k) and res.predicted.get(k)}
    return ProbeMeasurement(**res.measured.model_dump(), ok=res.ok, reason=res.reason, probe_model=res.model,
                            probe_id=res.id, under_load=res.under_load, predicted_for_probe_model=res.predicted,
                            measured_over_predicted=ratio)


def probe_reason(res: ProbeResult) -> str:
    if not res.ok:
        return f"probe failed: {res.reason}"
    m = res.measured
    speed = f"{m.decode_tokens_per_s:.1f} tok/s decode, " if m.decode_tokens_per_s else ""
    energy = (f" {m.decode_energy_j_per_token:.3g} J/token ({m.decode_power_w:.1f} W package, RAPL),"
              if m.decode_energy_j_per_token and m.decode_power_w else "")
    quality = f"KL {m.kld:.4f}, top-1 {m.top1_agreement:.3f}, " if m.kld is not None and m.top1_agreement is not None else ""
    size = f"{m.weights_gib * 1024:.1f} MiB" if m.weights_gib is not None else "size not measured"
    return f"probe on {res.model}: {speed}{energy}{quality}{size}"


class _progress:
    """Rich progress on stderr (or nothing); yields step(msg)."""

    def __init__(self, enabled: bool):
        self.enabled, self.p, self.task = enabled, None, None

    def __enter__(self):
        if not self.enabled:
            return lambda msg: None
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.p = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                          console=Console(stderr=True), transient=True)
        self.p.__enter__()
        self.task = self.p.add_task("probing", total=None)
        return lambda msg: self.p.update(self.task, description=msg)

    def __exit__(self, *exc):
        if self.p:
            self.p.__exit__(*exc)
        return False


# ------------------------------------------------------------------ recalibration
def local_calibration(cal, dev):
    """Corrections from stored probes: speed only for --device auto (dev.id == 'this-machine'), where the probes
    ran; quality (per backend, quant and architecture) for any device, since quality does not depend on it."""
    from .recalibrate import LocalCalibration, corrections, quality_corrections

    try:
        results = store.load(ok_only=True)
    except AdvisorError as exc:  # an unreadable store must not stop a plan: plan with the shipped calibration
        log.warning("%s; planning without local corrections", exc)
        return cal
    corr, counts = quality_corrections(results, lru_cache(maxsize=None)(_architecture_of))  # one read per model
    if dev.id == "this-machine":
        here = fingerprint()
        speed, speed_counts = corrections([r for r in results if r.env.get("fingerprint") == here])
        corr, counts = {**corr, **speed}, {**counts, **speed_counts}
    return LocalCalibration.wrap(cal, corr, counts) if corr else cal


def _architecture_of(model_name: str) -> str | None:
    """config.json model_type of a stored probe's model (builtin names or a local folder), or None."""
    import json

    arg = next((a for a, (name, _) in models.BUILTINS.items() if name == model_name), model_name)
    try:
        pm = models.resolve(arg)
        return json.loads((pm.hf_dir / "config.json").read_text()).get("model_type")
    except Exception:  # an unknown or deleted probe model just gives no quality correction
        return None
