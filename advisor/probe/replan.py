"""Plan integration of probes, in one place: probe a plan's top candidates on this machine (`probe_plan`), plan again
with the new local calibration (this machine's speeds, the formats' quality) and carry the measurements onto the
new plan (`probe_and_replan`). `advisor plan --probe` and the TUI's probe action both call `probe_and_replan`, so
both show the same figures after the same probe."""

from __future__ import annotations

from pathlib import Path

from ..calibration import Calibration
from ..knowledge import Knowledge
from ..schemas import ModelSpec, Plan, ProbeMeasurement
from .spec import ProbeRequest, ProbeResult, canonical


def probe_and_replan(plan: Plan, kb: Knowledge, cal: Calibration, top: int = 3, progress: bool = False,
                     **req_kw) -> Plan:
    """`plan` with its first `top` runnable candidates probed, re-planned on `cal` plus every stored probe (the new
    ones included). `cal` is the shipped calibration: local corrections are applied here, once."""
    from ..planner import attach_measurements, make_plan
    from .localcal import local_calibration

    probed = probe_plan(plan, plan.model, top=top, progress=progress, **req_kw)
    again = make_plan(plan.device, plan.model, plan.constraints, kb, local_calibration(cal, plan.device))
    return attach_measurements(again, probed)


def probe_plan(plan: Plan, spec: ModelSpec, top: int = 3, progress: bool = True, **req_kw) -> Plan:
    """Probe the first `top` candidates this machine can run; fill Candidate.measured; never raise for a probe."""
    from .progress import progress_steps, show_comparison
    from .request import default_threads
    from .runner import run_probes

    model = _probe_model_for(spec)
    threads = req_kw.pop("threads", None) or default_threads()
    picked = [i for i, c in enumerate(plan.candidates) if c.runs_here and canonical(c.backend, c.quant)][:top]
    cands = list(plan.candidates)
    reqs = [ProbeRequest(backend=cands[i].backend, quant=canonical(cands[i].backend, cands[i].quant) or cands[i].quant,
                         model=model, threads=threads, **req_kw) for i in picked]
    with progress_steps(progress) as step:
        results = run_probes(reqs, step=step)
    for i, res in zip(picked, results):
        c = cands[i]
        cands[i] = c.model_copy(update={"measured": measurement(res), "reasons": [*c.reasons, probe_reason(res)]})
    out = plan.model_copy(update={"candidates": cands})
    if progress:
        show_comparison([cands[i] for i in picked])
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
