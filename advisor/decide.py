"""Walking the framework-selection tree (pure): which (backend, compute unit) pairs are worth predicting, and why
every other backend was eliminated."""

from __future__ import annotations

from dataclasses import dataclass, field

from .knowledge import Condition, Knowledge
from .schemas import BACKEND_IDS, Constraints, DeviceProfile, Elimination, ModelSpec


@dataclass(frozen=True)
class Route:
    backend: str
    compute: str
    reason: str
    rule_path: tuple[str, ...]
    quants: tuple[str, ...]


@dataclass
class Decision:
    branch: str
    path: list[str]
    routes: list[Route] = field(default_factory=list)
    eliminated: list[Elimination] = field(default_factory=list)


def holds(cond: Condition | None, dev: DeviceProfile) -> bool:
    """True when every stated field of the condition matches the device (lists mean 'any of')."""
    if cond is None:
        return True
    accels = dev.accelerators
    checks = [
        (cond.device_class, lambda v: dev.class_ in v),
        (cond.os, lambda v: bool(set(dev.os) & set(v))),
        (cond.arch, lambda v: dev.cpu.arch in v),
        (cond.accel_vendor, lambda v: any(a.vendor in v for a in accels)),
        (cond.accel_api, lambda v: any(set(a.api) & set(v) for a in accels)),
        (cond.npu_vendor, lambda v: any(a.kind == "npu" and a.vendor in v for a in accels)),
        (cond.cpu_model_contains, lambda v: any(s.lower() in (dev.cpu.model or "").lower() for s in v)),
    ]
    return all(test(value) for value, test in checks if value is not None)


def _unit_available(kb: Knowledge, backend: str, unit: str, dev: DeviceProfile):
    """Does the device offer this compute unit in a form the backend drives? (option, what) or (None, why not)."""
    if unit == "cpu":
        return kb.compute_option(backend, "cpu"), "cpu"
    for acc in dev.accelerators:
        opt = kb.compute_option(backend, unit, acc)
        if opt is not None:
            return opt, acc.name or f"{acc.vendor} {unit}"
    return None, f"the device has no {unit} that {kb.backends[backend].name} can drive"


def decide(dev: DeviceProfile, model: ModelSpec, cons: Constraints, kb: Knowledge) -> Decision:
    branch = next(b for b in kb.tree.branches if holds(b.when, dev))
    taken = [b.question for b in kb.tree.branches[: kb.tree.branches.index(branch)]]
    path = [f"{q} -> no" for q in taken] + [f"{branch.question} -> yes: {branch.reason}"]
    dec = Decision(branch=branch.id, path=path)
    target_os = cons.os
    if target_os and target_os not in dev.os:
        path.append(f"--os {target_os}: not an OS this device runs ({', '.join(dev.os)}); kept the device's own")
        target_os = None
    seen_ok: set[str] = set()
    dropped: dict[str, str] = {}

    def drop(backend: str, reason: str, rule: str) -> None:
        dropped.setdefault(backend, reason)
        if not any(e.backend == backend and e.reason == reason for e in dec.eliminated):
            dec.eliminated.append(Elimination(backend=backend, reason=reason, rule=rule))

    for adm in branch.admit:
        be = kb.backends[adm.backend]
        rule = f"{branch.id}/{adm.backend}/{adm.compute}"
        if cons.backend and adm.backend not in cons.backend:
            drop(adm.backend, f"not among --backend {','.join(cons.backend)}", "constraint:backend")
            continue
        if not holds(adm.when, dev):
            drop(adm.backend, f"{adm.compute}: {adm.unless_reason or 'condition not met'}", rule)
            continue
        oses = [target_os] if target_os else dev.os
        if not set(oses) & set(be.os):
            drop(adm.backend, f"{be.name} does not run on {'/'.join(oses)}", "backends.yaml:os")
            continue
        if dev.cpu.arch not in be.arch:
            drop(adm.backend, f"{be.name} does not support {dev.cpu.arch} hosts", "backends.yaml:arch")
            continue
        if model.architecture not in be.architectures:
            drop(
                adm.backend,
                f"{be.name} has no converter for the {model.architecture!r} architecture",
                "backends.yaml:architectures",
            )
            continue
        opt, what = _unit_available(kb, adm.backend, adm.compute, dev)
        if opt is None:
            drop(adm.backend, f"{adm.compute}: {what}", "backends.yaml:compute")
            continue
        quants = tuple(opt.quants or be.quants)
        dec.routes.append(
            Route(
                backend=adm.backend,
                compute=adm.compute,
                reason=adm.reason,
                rule_path=(branch.id, f"{adm.backend}/{adm.compute}", f"on {what}"),
                quants=quants,
            )
        )
        seen_ok.add(adm.backend)

    for rej in branch.reject:
        if rej.backend not in seen_ok:
            drop(rej.backend, rej.reason, f"{branch.id}/reject")
    for b in BACKEND_IDS:
        if b not in seen_ok and b not in dropped:
            drop(b, f"not among the advisor's routes for this device ({branch.reason})", f"{branch.id}/not-admitted")
    return dec
