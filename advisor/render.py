"""Human output: rich tables for the terminal and Markdown for files. JSON is the models' own dump."""

from __future__ import annotations

import json

from .plain import plain
from .schemas import Candidate, Estimate, Plan


def est(e: Estimate, fmt: str = "{:.1f}") -> str:
    return f"{mark(e)}{fmt.format(e.value)} [{fmt.format(e.low)}–{fmt.format(e.high)}]"


def num(x: float, digits: int = 3) -> str:
    """Significant figures without an exponent: 0.0312, 4.58, 31.3, 1250."""
    if x == 0:
        return "0"
    if abs(x) >= 10 ** (digits - 1):
        return f"{x:.0f}"
    return f"{x:.{digits}g}"


def mark(e: Estimate) -> str:
    """'~' before a proxy figure (borrowed from another engine), '=' before one a probe here moved."""
    return {"proxy": "~", "measured-here": "="}.get(e.evidence or "", "")


def short(e: Estimate) -> str:
    """Value over its interval, for two-line table cells."""
    return f"{mark(e)}{num(e.value)}\n[dim]{num(e.low, 2)}–{num(e.high, 2)}[/]"


def short_opt(e: Estimate | None) -> str:
    return "-" if e is None else short(e)


def est_opt(e: Estimate | None, fmt: str = "{:.1f}") -> str:
    return "-" if e is None else est(e, fmt)


def plan_json(plan: Plan) -> str:
    return json.dumps(plain(plan), indent=2)


def shown(plan: Plan, limit: int | None) -> list[Candidate]:
    return plan.candidates if limit is None else plan.candidates[:limit]


def plan_columns():
    """The plan table's columns, for tablefit: the compute unit and feasibility fold under backend and quant when
    the terminal is narrow; `drop` ranks what goes first when even the compact layout is too wide."""
    from .tablefit import Col

    return [
        Col("backend", lambda c: c.backend, keep=True),
        Col("quant", lambda c: c.quant + ("*" if c.pareto else ""), keep=True),
        Col("unit", lambda c: f"[dim]{c.compute}[/]", fold_into="backend"),
        Col("ok", lambda c: "[green]✓[/]" if c.feasible else "[red]✗[/]", justify="center", fold_into="quant"),
        Col("GiB", lambda c: short(c.peak_memory_gib), "right", min_width=7),
        Col("decode/s", lambda c: short(c.decode_tokens_per_s), "right", short="dec/s", min_width=7),
        Col("prefill/s", lambda c: short(c.prefill_tokens_per_s), "right", short="pre/s", min_width=7, drop=4),
        Col("TTFT s", lambda c: short_opt(c.ttft_s), "right", short="TTFT", min_width=7, drop=2),
        Col("J", lambda c: short_opt(c.energy_j), "right", min_width=7, drop=3),
        Col("ppl+%", lambda c: short(c.ppl_increase_pct), "right", short="ppl%", min_width=7, drop=1),
        Col("score", lambda c: f"{c.score:.2f}", "right"),
    ]


def plan_table(plan: Plan, limit: int | None = 12, width: int | None = None):
    """The candidates as a rich table that fits `width` columns without cutting a cell (advisor/tablefit.py)."""
    from .tablefit import fit

    return fit(plan_columns(), shown(plan, limit), width,
               title=f"{plan.model.name or plan.model.id} on {plan.device.name}",
               caption="value over its 80 % interval; decode/prefill in tokens/s; TTFT in s and energy in J for "
                       f"one answer ({plan.constraints.prompt_tokens}+{plan.constraints.gen_tokens} tokens); "
                       "* = Pareto front; ~ = proxy (no measurements of this engine / of this device's power), "
                       "= = probed here")


def print_plan(console, plan: Plan, limit: int | None = 12) -> None:
    console.print(plan_table(plan, limit, console.width))
    n = len(plan.candidates)
    if limit is not None and n > limit:
        console.print(f"[dim]{n - limit} more candidates: --all or --json to see them[/]")
    console.print(f"[bold]{plan.summary}[/]")
    if plan.candidates:
        best = plan.candidates[0]
        console.print(f"Why {best.backend} {best.quant}: " + "; ".join(best.reasons[:3]))
        for v in best.violations:
            console.print(f"  [red]violation:[/] {v}")
    for e in plan.eliminated:
        console.print(f"[dim]eliminated {e.backend}: {e.reason}[/]")
    for s in plan.suggestions:
        console.print(f"[yellow]suggestion:[/] {s}")


def plan_markdown(plan: Plan, limit: int | None = None) -> str:
    lines = [f"# Deployment plan: {plan.model.name or plan.model.id} on {plan.device.name}", "", plan.summary, "",
             "| # | backend | quant | engine | feasible | peak GiB | decode tok/s | prefill tok/s | TTFT s | J per answer "
             "| ppl +% | score |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for i, c in enumerate(shown(plan, limit), 1):
        lines.append(f"| {i} | {c.backend} | {c.quant}{' *' if c.pareto else ''} | {c.engine or c.compute} | "
                     f"{'yes' if c.feasible else 'no: ' + '; '.join(c.violations)} | {est(c.peak_memory_gib, '{:.2f}')} | "
                     f"{est(c.decode_tokens_per_s)} | {est(c.prefill_tokens_per_s, '{:.0f}')} | "
                     f"{est_opt(c.ttft_s, '{:.2f}')} | {est_opt(c.energy_j, '{:.0f}')} | "
                     f"{est(c.ppl_increase_pct, '{:.2f}')} | {c.score:.2f} |")
    cons = plan.constraints
    lines += ["", f"One answer: {cons.prompt_tokens} prompt + {cons.gen_tokens} generated tokens"
              f"{' (workload ' + cons.workload + ')' if cons.workload else ''}; TTFT = time to the first token.",
              "", "Intervals are 80 %; * marks the Pareto front (memory, decode speed, quality); ~ marks a proxy figure "
              "(no public measurements of that engine: borrowed from another), = one a probe on this machine moved.", "",
              "## Decision path", ""]
    lines += [f"1. {p}" for p in plan.decision_path]
    probed = [c for c in plan.candidates if c.measured]
    if probed:
        lines += ["", "## Probes on this machine", "",
                  "Measured on the probe model, next to the advisor's prediction for that model on this machine.", "",
                  "| backend | quant | status | decode tok/s meas / pred | prefill tok/s meas / pred | MiB meas / pred | KL | top-1 |",
                  "|---|---|---|---|---|---|---|---|"]
        for c in probed:
            lines.append(_probe_row(c))
    if plan.eliminated:
        lines += ["", "## Eliminated", ""] + [f"- **{e.backend}**: {e.reason} (`{e.rule}`)" for e in plan.eliminated]
    if plan.suggestions:
        lines += ["", "## What to relax", ""] + [f"- {s}" for s in plan.suggestions]
    if plan.candidates:
        b = plan.candidates[0]
        lines += ["", f"## Why {b.backend} {b.quant}", ""] + [f"- {r}" for r in b.reasons]
        lines += ["", "What each figure rests on:", ""] + [
            f"- {name}: {getattr(b, key).basis}" for name, key in
            [("weights", "weights_gib"), ("peak memory", "peak_memory_gib"), ("decode", "decode_tokens_per_s"),
             ("prefill", "prefill_tokens_per_s"), ("quality", "ppl_increase_pct"), ("time to first token", "ttft_s"),
             ("answer time", "answer_s"), ("power", "power_w"), ("energy", "energy_j"),
             ("battery", "battery_pct_per_100_answers")] if getattr(b, key) is not None]
    return "\n".join(lines) + "\n"


def _probe_row(c: Candidate) -> str:
    m = c.measured
    if m is None or not m.ok:
        return f"| {c.backend} | {c.quant} | failed: {m.reason if m else 'not probed'} | | | | | |"
    p = m.predicted_for_probe_model or {}

    def pair(key: str, scale: float = 1.0) -> str:
        a, b = getattr(m, key), p.get(key)
        return " / ".join("-" if v is None else num(v * scale) for v in (a, b))

    kl, top1 = m.kld, m.top1_agreement
    return (f"| {c.backend} | {c.quant} | ok | {pair('decode_tokens_per_s')} | {pair('prefill_tokens_per_s')} | "
            f"{pair('weights_gib', 1024)} | {'-' if kl is None else num(kl)} | {'-' if top1 is None else num(top1)} |")


def candidate_detail(c: Candidate) -> list[str]:
    out = [f"{c.backend} {c.quant} on the {c.compute} ({c.engine}): {'feasible' if c.feasible else 'NOT feasible'} "
           f"(score {c.score:.2f})"]
    for name, key, f in [("weights GiB", "weights_gib", "{:.3f}"), ("peak memory GiB", "peak_memory_gib", "{:.3f}"),
                         ("decode tok/s", "decode_tokens_per_s", "{:.1f}"), ("prefill tok/s", "prefill_tokens_per_s", "{:.0f}"),
                         ("perplexity +%", "ppl_increase_pct", "{:.2f}"), ("TTFT s", "ttft_s", "{:.2f}"),
                         ("answer s", "answer_s", "{:.1f}"), ("power W", "power_w", "{:.1f}"),
                         ("energy J", "energy_j", "{:.0f}"), ("battery %/100", "battery_pct_per_100_answers", "{:.1f}")]:
        e = getattr(c, key)
        if e is None:
            continue
        ev = f" [{e.evidence}, {e.rows} rows]" if e.evidence else ""
        out.append(f"  {name:17} {est(e, f)}{ev}   ({e.basis})")
    out += [f"  violation: {v}" for v in c.violations]
    out += [f"  reason: {r}" for r in c.reasons]
    return out
