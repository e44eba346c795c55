"""make_plan(): the one planning function the CLI and the TUI share (pure: inputs already resolved)."""

from __future__ import annotations

from .architecture import count_params
from .calibration import Calibration
from .decide import decide
from .errors import InputError
from .knowledge import Knowledge
from .predict import Workload, memory_limit, predict
from .rank import Scored, Violation, rank, violations
from .schemas import Candidate, Constraints, DeviceProfile, ModelSpec, Plan

def check_request(dev: DeviceProfile, cons: Constraints) -> None:
    """Constraints that cannot apply to this device are bad input, not something to plan around silently."""
    need = cons.prompt_tokens + cons.gen_tokens
    if need > cons.context:
        raise InputError(f"--prompt-tokens {cons.prompt_tokens} + --gen-tokens {cons.gen_tokens} = {need} tokens do "
                         f"not fit --context {cons.context}; raise --context or shorten the workload")
    if cons.os and cons.os not in dev.os:
        raise InputError(f"--os {cons.os}: {dev.id} does not run it (it runs {', '.join(dev.os)}); "
                         "drop --os or choose one of those")


def make_plan(dev: DeviceProfile, model: ModelSpec, cons: Constraints, kb: Knowledge, cal: Calibration) -> Plan:
    check_request(dev, cons)
    dec = decide(dev, model, cons, kb)
    work = Workload.of(cons)
    items: list[Scored] = []
    for route in dec.routes:
        limit = memory_limit(dev, route.compute, kb)
        for q in route.quants:
            pred, notes = predict(dev, model, route.backend, route.compute, q, work, kb, cal)

            items.append(Scored(
                pred=pred, violations=violations(pred, cons, *limit),
                reasons=[route.reason, *notes, evidence_reason(pred)],
                rule_path=list(route.rule_path), runs_here=kb.backends[route.backend].runs_on_linux_x86,
            ))
    cands = rank(items, cons)
    plan = Plan.model_construct(  # validated parts; see rank()
        device=dev, model=model, constraints=cons, candidates=cands, eliminated=dec.eliminated,
        decision_path=dec.path, suggestions=suggest(cands, model, cons, kb, _usable(dev, dec, kb)),
        summary=summarize(cands, dev, model),
    )
    return plan

def evidence_reason(pred) -> str:
    """What the speed figures rest on, in one line (the decode basis names rows, sources and devices)."""
    d, p = pred.decode_tokens_per_s, pred.prefill_tokens_per_s

    def what(e) -> str:
        if e.evidence == "proxy":
            return "a proxy (" + e.basis.split(": ", 1)[-1].split(";")[0].split(": ", 1)[-1] + ")"
        head = e.basis.split(": ", 1)[-1].split(";")[0]
        return head + (" and probes on this machine" if e.evidence == "measured-here" else "")

    return f"speed on {pred.engine}: decode rests on {what(d)}; prefill on {what(p)}"


def _usable(dev: DeviceProfile, dec, kb: Knowledge) -> float:
    """The most memory any admitted route can use."""
    units = {r.compute for r in dec.routes} or {"cpu"}
    return max(memory_limit(dev, u, kb).gib for u in units)


def predict_one(dev: DeviceProfile, model: ModelSpec, backend: str, quant: str, cons: Constraints, kb: Knowledge,
                cal: Calibration, compute: str | None = None) -> Candidate:
    """One candidate, ranked against nothing: for `advisor predict`."""
    fmt = kb.format(backend, quant)
    if fmt is None:
        known = ", ".join(kb.backends[backend].quants)
        raise InputError(f"unknown quant {quant!r} for backend {backend}; choose one of: {known}")
    check_request(dev, cons)
    dec = decide(dev, model, cons.model_copy(update={"backend": [backend]}), kb)
    routes = [r for r in dec.routes if r.backend == backend and (compute is None or r.compute == compute)]
    routes = [r for r in routes if fmt.quant in r.quants] or routes
    ruled_out: list[Violation] = []
    if routes:
        route = routes[0]
        unit, reason, path = route.compute, route.reason, list(route.rule_path)
    else:  # `plan` would not list this route: predict it, but never call it feasible
        unit = compute or "cpu"
        units = sorted({r.compute for r in dec.routes if r.backend == backend})
        if units:  # the backend runs here, but not on the compute unit asked for
            why = f"{backend} runs here only on the {'/'.join(units)}, not the {compute}"
        else:
            why = "; ".join(e.reason for e in dec.eliminated if e.backend == backend) or "not admitted by the decision tree"
        reason, path = f"not among the advisor's routes for this device: {why}", ["not-admitted"]
        ruled_out = [Violation("ruled_out", f"ruled out on {dev.id}: {why}")]
    pred, notes = predict(dev, model, backend, unit, fmt.quant, Workload.of(cons), kb, cal)

    item = Scored(pred=pred, violations=[*ruled_out, *violations(pred, cons, *memory_limit(dev, unit, kb))],
                  reasons=[reason, *notes], rule_path=path, runs_here=kb.backends[backend].runs_on_linux_x86)
    return rank([item], cons)[0]

def summarize(cands: list[Candidate], dev: DeviceProfile, model: ModelSpec) -> str:
    ok = [c for c in cands if c.feasible]
    if not ok:
        return f"No candidate meets the constraints for {model.name or model.id} on {dev.name}."
    b = ok[0]
    return (f"Best for {model.name or model.id} on {dev.name}: {b.backend} {b.quant} on the {b.compute} — "
            f"~{b.decode_tokens_per_s.value:.1f} tok/s decode, {b.peak_memory_gib.value:.2f} GiB peak, "
            f"+{b.ppl_increase_pct.value:.1f}% perplexity ({len(ok)} of {len(cands)} candidates feasible).")

def _smaller_models(model: ModelSpec, smallest: Candidate, cons: Constraints, kb: Knowledge, usable_gib: float) -> str:
    """Catalogue models that should fit: peak memory scales with parameters (weights) at the same quantization;
    the KV cache and buffers are kept as they are, so the estimate errs on the safe side."""
    total = count_params(model).total
    fixed = smallest.peak_memory_gib.value - smallest.weights_gib.value
    budget = min(usable_gib, cons.max_memory_gb or usable_gib) - fixed
    # weights at the top of their interval (the published-size error band), so a suggested model fits even when
    # its file comes out as large as the band allows
    per_param = smallest.weights_gib.high / total
    fits = [m for m in kb.models.values() if count_params(m).total < total and count_params(m).total * per_param < budget]
    fits.sort(key=lambda m: -count_params(m).total)
    if not fits:
        return "no catalogue model fits this memory at that quantization: pick a device with more memory"
    return "smaller models from the catalogue that should fit: " + ", ".join(m.id for m in fits[:3])


def suggest(cands: list[Candidate], model: ModelSpec, cons: Constraints, kb: Knowledge,
            usable_gib: float = float("inf")) -> list[str]:
    """When nothing is feasible: what to relax, concretely."""
    if not cands:
        return ["no toolchain can run this model on this device: see the eliminated backends and their reasons"]
    if any(c.feasible for c in cands):
        return []
    out: list[str] = []
    mem = [c for c in cands if {"memory", "max_memory"} & set(c.violation_kinds)]
    if mem and len(mem) == len(cands):
        smallest = min(cands, key=lambda c: c.peak_memory_gib.value)
        out.append(f"even the smallest candidate ({smallest.backend} {smallest.quant}) needs "
                   f"{smallest.peak_memory_gib.value:.2f} GiB: pick a smaller model or a device with more memory")
        if cons.context > 2048:
            out.append(f"shorten the context (--context {cons.context} -> 2048) to shrink the KV cache")
        out.append(_smaller_models(model, smallest, cons, kb, usable_gib))
    if any("min_decode" in c.violation_kinds for c in cands):
        best = max(cands, key=lambda c: c.decode_tokens_per_s.value)
        out.append(f"the fastest candidate reaches ~{best.decode_tokens_per_s.value:.1f} tok/s "
                   f"({best.backend} {best.quant}): lower --min-decode-tps or pick a smaller model")
    if any("min_prefill" in c.violation_kinds for c in cands):
        out.append("lower --min-prefill-tps, or use a device with a GPU/NPU for prompt processing")
    for kind, key, text in (
            ("max_ttft", "ttft_s", "the quickest first token is ~{v:.2f} s ({c}): raise --max-ttft-s, shorten the "
                                   "prompt or use a GPU/NPU for prefill"),
            ("max_energy", "energy_j", "the least energy per answer is ~{v:.0f} J ({c}): raise --max-energy-j or "
                                       "generate fewer tokens")):
        known = [(e.value, c) for c in cands if (e := getattr(c, key)) is not None]
        if known and any(kind in c.violation_kinds for c in cands):
            v, least = min(known, key=lambda vc: vc[0])
            out.append(text.format(v=v, c=f"{least.backend} {least.quant} on the {least.compute}"))
    best_q = min(cands, key=lambda c: c.ppl_increase_pct.value)
    if "max_quality_loss" in best_q.violation_kinds:
        best = best_q
        out.append(f"the most accurate candidate loses +{best.ppl_increase_pct.value:.2f}% perplexity "
                   f"({best.backend} {best.quant}): raise --max-quality-loss")
    return out


def attach_measurements(plan: Plan, probed: Plan) -> Plan:
    """Carry probe measurements (and their reason lines) from `probed` onto the same candidates of `plan`."""
    found = {(c.backend, c.quant, c.compute): c for c in probed.candidates if c.measured}
    cands = []
    for c in plan.candidates:
        p = found.get((c.backend, c.quant, c.compute))
        if p is None:
            cands.append(c)
            continue
        extra = [r for r in p.reasons if r not in c.reasons]
        cands.append(c.model_copy(update={"measured": p.measured, "reasons": [*c.reasons, *extra]}))
    return plan.model_copy(update={"candidates": cands})
