"""One model on several devices, side by side (pure: plans already made)."""

from __future__ import annotations

from .report_schemas import CompareReport, DeviceComparison
from .schemas import Candidate, Constraints, ModelSpec, Plan


def best_per_backend(plan: Plan) -> dict[str, Candidate]:
    """The first-ranked candidate of each backend (the plan is ranked best first)."""
    out: dict[str, Candidate] = {}
    for c in plan.candidates:
        out.setdefault(c.backend, c)
    return out


def compare(plans: list[Plan], model: ModelSpec, cons: Constraints) -> CompareReport:
    rows = []
    for p in plans:
        best = next((c for c in p.candidates if c.feasible), None)
        rows.append(DeviceComparison(device=p.device.id, device_name=p.device.name, device_class=p.device.class_,
                                     best=best, per_backend=best_per_backend(p), summary=p.summary,
                                     eliminated=p.eliminated))
    return CompareReport(model=model.id, model_name=model.name, constraints=cons, devices=rows)


def ttft_s(c: Candidate, prompt_tokens: int) -> tuple[float, float, float]:
    """Seconds to the first token (value, low, high): the candidate's own `ttft_s` where it has one, else the
    prompt over the prefill speed (a slow prefill is the high end)."""
    own = getattr(c, "ttft_s", None)
    if own is not None:
        return own.value, own.low, own.high
    p = c.prefill_tokens_per_s
    return prompt_tokens / max(p.value, 1e-9), prompt_tokens / max(p.high, 1e-9), prompt_tokens / max(p.low, 1e-9)
