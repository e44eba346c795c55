"""The probe jobs of a sweep: which to run (one per probe model x backend x quantization, whatever the devices), where
(a local process pool, or Ray: ray_pool.py), and storing each result exactly once.

Workers only measure (`run_probe(..., save=False)`, the same machinery as `advisor probe`); this process is the one
writer: it stores each result in the measurement store under an idempotency key (sweep id + job), so a retried,
resumed or duplicated job never adds a second row, then journals it under --out."""

from __future__ import annotations

import logging
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from ..probe.spec import ProbeRequest, ProbeResult, canonical
from .cells import PROBE_MODELS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    probe_model: str  # builtin, tiny, or a local folder
    backend: str
    quant: str
    where: str = ""  # "" (this machine or a Ray node) or "aihub:DEVICE"

    def key(self, sweep_id: str) -> str:
        tail = f":{self.where}" if self.where else ""
        return f"sweep:{sweep_id}:{self.probe_model}:{self.backend}:{self.quant}{tail}"


def probe_model_for(name: str, spec) -> str | None:
    """What a probe of this sweep model quantizes: the shipped probe model for `builtin`/`tiny` and for catalogue or
    GGUF models (no weights to quantize here), the folder itself for a local folder with weights."""
    if name in PROBE_MODELS:
        return name
    if getattr(spec, "origin", None) == "local" and spec.source:
        d = Path(spec.source).parent
        if any(d.glob("*.safetensors")) or any(d.glob("*.bin")):
            return str(d)
    return "builtin"


def job_for(row: dict, models: dict[str, object], aihub_device: str | None = None) -> Job | None:
    """The probe job that backs a table row, or None: candidates that can run on Linux x86 with a probe
    quantization, and QNN ones when AI Hub measures them."""
    if row.get("status") != "ok":
        return None
    hub = bool(aihub_device) and row.get("backend") == "qnn"
    if not (row.get("runs_here") or hub):
        return None
    q = canonical(row.get("backend") or "", row.get("quant") or "")
    pm = probe_model_for(row["model"], models.get(row["model"]))
    if not q or not pm:
        return None
    return Job(pm, row["backend"], q, f"aihub:{aihub_device}" if hub else "")


def jobs_from(rows: list[dict], models: dict[str, object], aihub_device: str | None = None) -> list[Job]:
    """One job per (probe model, backend, probe quant[, AI Hub device]) among the rows."""
    out: dict[Job, None] = {}
    for r in rows:
        j = job_for(r, models, aihub_device)
        if j is not None:
            out[j] = None
    return list(out)


def failed(job: Job, reason: str) -> ProbeResult:
    from ..probe.env import environment

    return ProbeResult(backend=job.backend, quant=job.quant, model=job.probe_model, ok=False, reason=reason,
                       env=environment(1))


def _run_one(req: dict) -> dict:
    """In a pool process: one probe through `advisor probe`'s own runner, not stored (the parent stores it)."""
    from ..probe.runner import run_probe

    res = run_probe(ProbeRequest.model_validate(req), save=False)
    return res.model_copy(update={"env": {**res.env, "node": res.env.get("machine", {}).get("host"),
                                          "worker_pid": os.getpid()}}).model_dump(mode="json")


def run_local(jobs: list[tuple[str, Job, ProbeRequest]], on_result, workers: int = 1) -> None:
    """The default executor: a local process pool of `workers` processes, each running one probe at a time."""
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        futs = {pool.submit(_run_one, req.model_dump(mode="json")): (key, job) for key, job, req in jobs}
        try:
            for f in as_completed(futs):
                key, job = futs[f]
                try:
                    res = ProbeResult.model_validate(f.result())
                except Exception as exc:  # a pool process that died (OOM-killed, SIGKILL): the job fails, with why
                    res = failed(job, f"probe worker lost: {exc.__class__.__name__}: {exc}")
                on_result(key, job, res)
        except BaseException:
            for f in futs:
                f.cancel()
            raise


def store_result(key: str, job: Job, res: ProbeResult) -> tuple[ProbeResult, str | None]:
    """Store once (measurements under their key; a failure is stored as an attempt, like `advisor probe` does).
    Returns the stored result, and a note when the store could not take it."""
    from ..errors import AdvisorError
    from ..probe import store

    try:
        return store.save(res, key=key if res.ok else None), None
    except AdvisorError as exc:
        log.warning("%s", exc)
        return res, f"not stored: {exc}"


def journal_entry(key: str, job: Job, res: ProbeResult, note: str | None) -> dict:
    from ..probe import store

    m = res.measured
    return {"key": key, "probe_model": job.probe_model, "backend": job.backend, "quant": job.quant, "ok": res.ok,
            "reason": res.reason, "probe_id": res.id, "node": res.env.get("node") or store.host(res.env),
            "cpu": (res.env.get("machine") or {}).get("cpu"), "source": res.env.get("source"), "where": job.where,
            "measured": {k: v for k, v in m.model_dump().items() if isinstance(v, (int, float)) and v is not None},
            "note": note}


def measured_columns(entry: dict) -> dict:
    """The probe's figures as `measured_*` columns of every row it backs."""
    out = {"probe_ok": entry["ok"], "probe_reason": entry.get("reason"), "probe_id": entry.get("probe_id"),
           "probe_model": entry["probe_model"], "probe_node": entry.get("node"), "probe_cpu": entry.get("cpu")}
    if entry.get("source"):
        out["probe_source"] = entry["source"]
    for k in ("weights_gib", "peak_memory_gib", "decode_tokens_per_s", "prefill_tokens_per_s", "ppl_increase_pct",
              "kld", "top1_agreement"):
        out[f"measured_{k}"] = entry.get("measured", {}).get(k)
    return out
