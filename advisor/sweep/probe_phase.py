"""The probe phase of a sweep: the jobs its rows call for, minus those done (journaled, or stored under their key by
a run that died before journaling them), run on the local pool, on Ray, or (QNN with --aihub-device) on AI Hub."""

from __future__ import annotations

import logging

from ..errors import AdvisorError
from ..probe.spec import ProbeRequest, ProbeResult
from .probes import Job, failed, jobs_from, journal_entry, run_local, store_result

log = logging.getLogger(__name__)


def probe_phase(req, jr, models: dict, summary, progress: bool) -> set[str]:
    """Run the missing probe jobs; returns the sweep models that got a new measurement (to re-plan)."""
    from ..probe import models as pmodels
    from ..probe import store
    from ..probe.request import default_threads
    from .run import _progress

    jobs = jobs_from(jr.rows(), models, req.aihub_device)
    sid = jr.meta["id"]
    keyed = {j.key(sid): j for j in jobs}
    todo = [k for k in keyed if k not in jr.probes or (req.retry_failed and not jr.probes[k].get("ok"))]
    for k, res in store.by_keys(todo).items():  # stored by a run that died before journaling it: never run twice
        jr.add_probe(journal_entry(k, keyed[k], res, "stored by an earlier run of this sweep"))
        summary.probes_reused += 1
        todo.remove(k)
    workers = req.probe_workers or (2 if req.ray == "local" else 1)
    threads = req.threads or max(1, default_threads() // workers)
    new_models: set[str] = set()
    ticker = [lambda n=1, msg=None: None]  # the progress bar's tick once it is shown

    def on_result(key: str, job: Job, res: ProbeResult) -> None:
        stored, note = store_result(key, job, res)
        jr.add_probe(journal_entry(key, job, stored, note))
        summary.probes_run += 1
        if not stored.ok:
            summary.probes_failed += 1
        else:
            new_models.add(job.probe_model)
        ticker[0](1, f"probing: {job.backend} {job.quant} {'ok' if stored.ok else 'failed'}")

    local: list = []
    hub: list = []
    for k in todo:
        job = keyed[k]
        try:
            pmodels.resolve(job.probe_model)
        except AdvisorError as exc:  # a folder that went away or has no weights: the job fails with the reason
            on_result(k, job, failed(job, str(exc)))
            continue
        r = ProbeRequest(backend=job.backend, quant=job.quant, model=job.probe_model, threads=threads,
                         timeout_s=req.probe_timeout_s)
        (hub if job.where.startswith("aihub:") else local).append((k, job, r))
    with _progress(progress, len(local) + len(hub), "probing") as tick:
        ticker[0] = tick
        for k, job, r in hub:
            from ..probe.aihub import hub_probe

            on_result(k, job, hub_probe(r, req.aihub_device, step=lambda msg: tick(0, msg)))
        if local and req.ray:
            from .ray_pool import run_ray

            run_ray(local, on_result, address=req.ray, workers=workers, retries=req.ray_retries)
        elif local:
            run_local(local, on_result, workers=workers)
    return {m for m in models if _probe_model(m, models) in new_models}


def _probe_model(name: str, models: dict) -> str | None:
    from .probes import probe_model_for

    return probe_model_for(name, models.get(name))
