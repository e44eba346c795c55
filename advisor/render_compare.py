"""Human output of `advisor compare` and `advisor claims`: terminal tables (fitted to the width) and Markdown."""

from __future__ import annotations

from .compare import ttft_s
from .render import num, short
from .report_schemas import ClaimsReport, CompareReport
from .schemas import Candidate, Estimate


def _ttft(c: Candidate, prompt: int) -> Estimate:
    v, lo, hi = ttft_s(c, prompt)
    return Estimate(value=v, low=min(lo, v), high=max(hi, v))


def _compare_rows(rep: CompareReport) -> list[tuple[str, Candidate, bool]]:
    rows = []
    for d in rep.devices:
        first = True
        for c in d.per_backend.values():
            is_best = d.best is not None and (c.backend, c.quant, c.compute) == (d.best.backend, d.best.quant,
                                                                                 d.best.compute)
            rows.append((d.device if first else "", c, is_best))
            first = False
        if not d.per_backend:
            rows.append((d.device, None, False))  # type: ignore[arg-type]  # a device with no candidate: one row
    return rows


def compare_table(rep: CompareReport, width: int | None):
    from .tablefit import Col, fit

    prompt = rep.constraints.prompt_tokens

    def cand(f):
        return lambda r: "-" if r[1] is None else f(r[1])

    cols = [Col("device", lambda r: r[0], keep=True),
            Col("backend", cand(lambda c: c.backend)),
            Col("quant", lambda r: "no route" if r[1] is None else r[1].quant + (" ★" if r[2] else "")),
            Col("unit", cand(lambda c: f"[dim]{c.compute}[/]"), fold_into="backend"),
            Col("ok", cand(lambda c: "[green]✓[/]" if c.feasible else "[red]✗[/]"), "center", fold_into="quant"),
            Col("GiB", cand(lambda c: short(c.peak_memory_gib)), "right", min_width=7),
            Col("decode/s", cand(lambda c: short(c.decode_tokens_per_s)), "right", short="dec/s", min_width=7),
            Col("TTFT s", cand(lambda c: short(_ttft(c, prompt))), "right", short="ttft", min_width=7, drop=2),
            Col("ppl+%", cand(lambda c: short(c.ppl_increase_pct)), "right", short="ppl%", min_width=7, drop=1)]
    return fit(cols, _compare_rows(rep), width, title=f"{rep.model_name or rep.model} on {len(rep.devices)} devices",
               caption=f"best candidate of each backend per device; ★ = the device's best feasible pick; value over "
                       f"its 80 % interval; TTFT for a {prompt}-token prompt")


def compare_markdown(rep: CompareReport) -> str:
    prompt = rep.constraints.prompt_tokens
    lines = [f"# {rep.model_name or rep.model} on {len(rep.devices)} devices", "",
             "| device | best | peak GiB | decode tok/s | TTFT s | ppl +% |", "|---|---|---|---|---|---|"]
    for d in rep.devices:
        b = d.best
        if b is None:
            lines.append(f"| {d.device} | none feasible | | | | |")
            continue
        lines.append(f"| {d.device} | {b.backend} {b.quant} ({b.engine or b.compute}) | {_e(b.peak_memory_gib)} | "
                     f"{_e(b.decode_tokens_per_s)} | {_e(_ttft(b, prompt))} | {_e(b.ppl_increase_pct)} |")
    lines += ["", "## Per backend", "", "| device | backend | quant | unit | feasible | peak GiB | decode tok/s | "
              "TTFT s | ppl +% |", "|---|---|---|---|---|---|---|---|---|"]
    for d in rep.devices:
        for c in d.per_backend.values():
            lines.append(f"| {d.device} | {c.backend} | {c.quant} | {c.compute} | {'yes' if c.feasible else 'no'} | "
                         f"{_e(c.peak_memory_gib)} | {_e(c.decode_tokens_per_s)} | {_e(_ttft(c, prompt))} | "
                         f"{_e(c.ppl_increase_pct)} |")
    lines += ["", f"Intervals are 80 %. TTFT is for a {prompt}-token prompt."]
    return "\n".join(lines) + "\n"


def _e(e: Estimate | None) -> str:
    if e is None:
        return "-"
    return f"{num(e.value)} [{num(e.low, 2)}–{num(e.high, 2)}]"


VERDICT = {"consistent": "[green]consistent[/]", "contradicted": "[red]contradicted[/]",
           "not-applicable": "[dim]not applicable[/]"}


def _claimed_mem(r) -> str:
    return r.claim_memory


def _pred_mem(r) -> str:
    if r.predicted_memory_reduction_pct is None:
        return "-"
    if r.claimed_memory_gb is not None:
        return short(r.predicted_memory_gb) + " GB"
    return short(r.predicted_memory_reduction_pct) + " %"


def claims_table(rep: ClaimsReport, width: int | None):
    from .tablefit import Col, fit

    cols = [Col("framework", lambda r: r.framework, keep=True),
            Col("quant", lambda r: r.quant, keep=True),
            Col("unit", lambda r: f"[dim]{r.compute or '-'}[/]", fold_into="framework"),
            Col("claim mem", lambda r: r.claim_memory, short="claim"),
            Col("predicted", _pred_mem, "right", short="pred"),
            Col("claim x", lambda r: r.claim_speedup, short="claim"),
            Col("predicted x", lambda r: "-" if r.predicted_speedup is None else short(r.predicted_speedup) + "x",
                "right", short="pred x"),
            Col("verdict", lambda r: VERDICT[r.verdict])]
    return fit(cols, rep.rows, width, title=f"The chapter's claims on {rep.device} ({rep.model_name or rep.model})",
               caption="memory: weights (GB, or % less than the baseline); x: decode speed-up over the same "
                       "backend's FP16 on the same unit; value over its 80 % interval")


def claims_markdown(rep: ClaimsReport) -> str:
    lines = [f"# The chapter's claims on {rep.device} ({rep.model_name or rep.model})", "",
             "| framework | quant | unit | claim: memory | predicted memory | claim: speed-up | predicted speed-up | "
             "verdict | reason |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rep.rows:
        if r.predicted_memory_reduction_pct is None:
            mem = sp = "-"
        else:
            mem = (f"{_e(r.predicted_memory_gb)} GB" if r.claimed_memory_gb is not None
                   else f"{_e(r.predicted_memory_reduction_pct)} % less")
            sp = f"{_e(r.predicted_speedup)}x"
        lines.append(f"| {r.framework} | {r.quant} | {r.compute or '-'} | {r.claim_memory} | {mem} | "
                     f"{r.claim_speedup} | {sp} | {r.verdict} | {r.reason} |")
    base = sorted({r.baseline for r in rep.rows if r.baseline})
    if base:
        lines += ["", "Baselines:", ""] + [f"- {b}" for b in base]
    return "\n".join(lines) + "\n"


def print_claims(console, rep: ClaimsReport) -> None:
    console.print(claims_table(rep, console.width))
    for r in rep.rows:
        console.print(f"[bold]{r.framework} {r.quant}[/]: {VERDICT[r.verdict]} — {r.reason}")
        if r.baseline:
            console.print(f"  [dim]compared with {r.baseline}[/]")
