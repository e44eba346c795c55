"""The key figures of a device, a model and a plan, as rich Text for the screens' detail panes (no markup parsing,
so brackets in intervals and paths print as they are)."""

from __future__ import annotations

from rich.text import Text

from ..render import candidate_detail
from ..schemas import Candidate, DeviceProfile, ModelSpec, Plan


def _rows(title: str, rows: list[tuple[str, str]]) -> Text:
    out = Text(title + "\n", style="bold")
    for label, value in rows:
        out.append(f"{label:<10}", style="dim")
        out.append(value + "\n")
    return out


def device_figures(dev: DeviceProfile) -> Text:
    cpu, mem = dev.cpu, dev.memory
    rows = [
        ("id", dev.id),
        ("class", f"{dev.class_} · {', '.join(dev.os)}"),
        ("CPU", cpu.model or cpu.arch),
        ("cores", f"{cpu.cores} × {cpu.arch}" + (f" @ {cpu.freq_ghz:g} GHz" if cpu.freq_ghz else "")),
        ("ISA", " ".join(cpu.features) or "—"),
        ("memory", f"{mem.total_gb:g} GB{' unified' if mem.unified else ''}"),
        ("bandwidth", f"{mem.bandwidth_gbs:g} GB/s"),
    ]
    for acc in dev.accelerators:
        extra = f"{acc.memory_gb:g} GB" if acc.memory_gb else "shared memory"
        rows.append((acc.kind.upper(), f"{acc.name or acc.vendor} ({', '.join(acc.api) or 'no API'}; {extra})"))
    if not dev.accelerators:
        rows.append(("GPU/NPU", "none"))
    return _rows(dev.name, rows)


def model_figures(spec: ModelSpec) -> Text:
    kv = f"{spec.num_attention_heads} / {spec.kv_heads} kv"
    rows = [
        ("id", spec.id),
        ("params", f"{spec.params_b:g} B" if spec.params_b else "from the config"),
        ("arch", spec.architecture + (" (MoE)" if spec.is_moe else "")),
        ("layers", str(spec.num_hidden_layers)),
        ("hidden", f"{spec.hidden_size} · ffn {spec.intermediate_size}"),
        ("heads", kv),
        ("vocab", str(spec.vocab_size)),
        ("context", str(spec.max_position_embeddings or "?")),
        ("origin", spec.origin + (f" · {spec.license}" if spec.license else "")),
    ]
    return _rows(spec.name or spec.id, rows)


def _section(out: Text, title: str, lines: list[str]) -> None:
    if lines:
        out.append(f"\n{title}\n", style="bold")
        for line in lines:
            out.append(f"  {line}\n")


def plan_detail(plan: Plan, cand: Candidate | None) -> Text:
    """The highlighted candidate (figures, intervals, reasons), then the plan's decision path and eliminations."""
    out = Text()
    if cand is not None:
        head, *rest = candidate_detail(cand)
        out.append(head + ("  · Pareto front" if cand.pareto else "") + "\n", style="bold")
        for line in rest:
            out.append(line + "\n", style="red" if line.lstrip().startswith("violation") else "")
        m = cand.measured
        if m is not None and not m.ok:
            out.append(f"  probe failed: {m.reason}\n", style="red")
        elif m is not None:
            shown = m.model_dump(exclude_none=True, exclude={"ok", "under_load", "notes", "tensor_types"})
            load = " (under load: speeds not used to recalibrate)" if m.under_load else ""
            out.append("  measured: " + ", ".join(f"{k}={v}" for k, v in shown.items()) + load + "\n", style="green")
        if cand.script:
            out.append(f"  script: {cand.script}\n")
        if cand.rule_path:
            out.append("  rule path: " + " → ".join(cand.rule_path) + "\n", style="dim")
    else:
        out.append("No candidate: every backend was eliminated.\n", style="bold red")
    _section(out, "Eliminated", [f"{e.backend}: {e.reason} ({e.rule})" for e in plan.eliminated])
    _section(out, "Decision path", [f"{i}. {step}" for i, step in enumerate(plan.decision_path, 1)])
    _section(out, "What to relax", plan.suggestions)
    return out
