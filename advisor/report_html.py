"""Self-contained HTML reports (`plan --html`, `compare --html`): the chart inlined as SVG, then the table, the
eliminations, the evidence behind each figure and the decision path. No script, stylesheet, font or image is
fetched: the file opens offline."""

from __future__ import annotations

from html import escape
from pathlib import Path

from .chart import usable_by_unit  # noqa: F401  (the CLI imports it from here)
from .render import num
from .report_schemas import CompareReport
from .schemas import Candidate, Estimate, Plan

CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}table{border-collapse:collapse;font-size:13px}
td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:right}td.l,th.l{text-align:left}
.bad{color:#b22222}.dim{color:#777}.chart{width:900px;height:560px}.chart svg{width:100%;height:100%}
details{margin:2px 0}code{background:#f4f4f4;padding:0 3px}"""


def _e(e: Estimate) -> str:
    mark = {"proxy": "~", "measured-here": "="}.get(e.evidence or "", "")
    return f"{mark}{num(e.value)} <span class=dim>[{num(e.low, 2)}–{num(e.high, 2)}]</span>"


FIGURES = [("weights GiB", "weights_gib"), ("peak GiB", "peak_memory_gib"), ("decode tok/s", "decode_tokens_per_s"),
           ("prefill tok/s", "prefill_tokens_per_s"), ("ppl +%", "ppl_increase_pct")]


def _table(cands: list[Candidate]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h, _ in FIGURES)
    rows = []
    for i, c in enumerate(cands, 1):
        cells = "".join(f"<td>{_e(getattr(c, k))}</td>" for _, k in FIGURES)
        ok = "yes" if c.feasible else f"<span class=bad>no: {escape('; '.join(c.violations))}</span>"
        rows.append(f"<tr><td>{i}</td><td class=l>{escape(c.backend)}</td><td class=l>{escape(c.quant)}"
                    f"{' *' if c.pareto else ''}</td><td class=l>{escape(c.engine or c.compute)}</td>"
                    f"<td class=l>{ok}</td>{cells}<td>{c.score:.2f}</td></tr>")
    return (f"<table id=candidates><tr><th>#</th><th class=l>backend</th><th class=l>quant</th><th class=l>engine</th>"
            f"<th class=l>feasible</th>{head}<th>score</th></tr>{''.join(rows)}</table>"
            "<p class=dim>Value and its 80 % interval; * = Pareto front; ~ = proxy figure (no measurements of that "
            "engine), = = moved by a probe on this machine.</p>")


def _evidence(cands: list[Candidate]) -> str:
    out = []
    for c in cands:
        items = "".join(f"<li><b>{escape(name)}</b>: {escape(getattr(c, k).basis or '')}"
                        + (f" <span class=dim>({escape(getattr(c, k).evidence)}, {getattr(c, k).rows} rows)</span>"
                           if getattr(c, k).evidence else "") + "</li>" for name, k in FIGURES)
        reasons = "".join(f"<li>{escape(r)}</li>" for r in c.reasons)
        out.append(f"<details><summary>{escape(c.backend)} {escape(c.quant)} on the {escape(c.compute)}</summary>"
                   f"<ul>{items}</ul><ul class=dim>{reasons}</ul></details>")
    return "".join(out)


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
            f"<style>{CSS}</style></head><body>{body}</body></html>\n")


def plan_html(plan: Plan, usable_gib: dict[str, float]) -> str:
    from .chart import candidates_svg

    name = f"{plan.model.name or plan.model.id} on {plan.device.name}"
    chart = candidates_svg(plan.candidates, usable_gib, name)
    elim = "".join(f"<li><b>{escape(e.backend)}</b>: {escape(e.reason)} <code>{escape(e.rule)}</code></li>"
                   for e in plan.eliminated) or "<li>none</li>"
    path = "".join(f"<li>{escape(p)}</li>" for p in plan.decision_path)
    sugg = "".join(f"<li>{escape(s)}</li>" for s in plan.suggestions)
    body = (f"<h1>Deployment plan: {escape(name)}</h1><p>{escape(plan.summary)}</p>"
            f"<div class=chart id=chart>{chart}</div>"
            "<p class=dim>Decode speed against peak memory, one marker shape and colour per backend, marker size = "
            "perplexity loss, hollow = infeasible, dashed = Pareto front, dotted red = usable memory; bars are 80 % "
            "intervals.</p>"
            f"<h2>Candidates</h2>{_table(plan.candidates)}"
            + (f"<h2>What to relax</h2><ul>{sugg}</ul>" if sugg else "")
            + f"<h2>Eliminated</h2><ul id=eliminated>{elim}</ul>"
            f"<h2>Evidence behind each figure</h2>{_evidence(plan.candidates)}"
            f"<h2>Decision path</h2><ol id=decision-path>{path}</ol>")
    return _page(f"advisor: {name}", body)


def compare_html(rep: CompareReport, plans: list[Plan], usable: list[dict[str, float]] | None = None) -> str:
    from .chart import candidates_svg
    from .render_compare import compare_markdown

    parts = [f"<h1>{escape(rep.model_name or rep.model)} on {len(rep.devices)} devices</h1>"]
    rows = []
    for d in rep.devices:
        b = d.best
        rows.append(f"<tr><td class=l>{escape(d.device)}</td>" + (
            "<td class=l>none feasible</td><td></td><td></td><td></td>" if b is None else
            f"<td class=l>{escape(b.backend)} {escape(b.quant)} ({escape(b.engine or b.compute)})</td>"
            f"<td>{_e(b.peak_memory_gib)}</td><td>{_e(b.decode_tokens_per_s)}</td><td>{_e(b.ppl_increase_pct)}</td>")
            + "</tr>")
    parts.append("<table id=compare><tr><th class=l>device</th><th class=l>best</th><th>peak GiB</th>"
                 f"<th>decode tok/s</th><th>ppl +%</th></tr>{''.join(rows)}</table>")
    for i, p in enumerate(plans):
        u = usable[i] if usable else {}
        parts.append(f"<h2>{escape(p.device.name)}</h2><p>{escape(p.summary)}</p><div class=chart>"
                     f"{candidates_svg(p.candidates, u, p.device.name)}</div>")
    parts.append(f"<h2>Per backend</h2><pre>{escape(compare_markdown(rep))}</pre>")
    return _page(f"advisor: {rep.model} compared", "".join(parts))


def check_html_path(path: Path) -> Path:
    """Refuse a --html target that cannot be written before any work is done; returns the path."""
    from .errors import InputError

    if str(path) == "-":
        raise InputError("--html -: the page is written to a file, not to stdout; give a file name such as report.html")
    path = Path(path)
    try:
        if path.is_dir():
            raise InputError(f"--html {path}: is a folder; give a file name such as {path / 'report.html'}")
        if not path.parent.is_dir():
            raise InputError(f"--html {path}: folder {path.parent} does not exist; create it or choose another path")
    except OSError as exc:  # a name over 255 bytes, a path through a file
        raise InputError(f"--html {str(path)[:60]}...: cannot use this path ({exc.strerror or exc}); "
                         "choose a shorter or other path") from None
    return path


def write_html(path: Path, html: str) -> None:
    """Atomically (never half a file); a folder that is missing or unwritable is bad input, not a crash."""
    from .atomic import write_text_atomic
    from .errors import InputError

    path = check_html_path(path)
    try:
        write_text_atomic(path, html)
    except OSError as exc:
        raise InputError(f"--html {path}: cannot write ({exc.strerror or exc}); nothing was written: free space "
                         "or choose another path") from None
