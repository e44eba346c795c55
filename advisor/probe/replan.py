"""`plan --probe` in one place: probe a plan's top candidates on this machine, plan again with the new local
calibration (this machine's speeds, the formats' quality) and carry the measurements onto the new plan.
`advisor plan --probe` and the TUI's probe action both call `probe_and_replan`, so both show the same figures after
the same probe."""

from __future__ import annotations

from ..calibration import Calibration
from ..knowledge import Knowledge
from ..schemas import Plan


def probe_and_replan(plan: Plan, kb: Knowledge, cal: Calibration, top: int = 3, progress: bool = False,
                     **req_kw) -> Plan:
    """`plan` with its first `top` runnable candidates probed, re-planned on `cal` plus every stored probe (the new
    ones included). `cal` is the shipped calibration: local corrections are applied here, once."""
    from ..planner import attach_measurements, make_plan
    from .runner import local_calibration, probe_plan

    probed = probe_plan(plan, plan.model, top=top, progress=progress, **req_kw)
    again = make_plan(plan.device, plan.model, plan.constraints, kb, local_calibration(cal, plan.device))
    return attach_measurements(again, probed)
