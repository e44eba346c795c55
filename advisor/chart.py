"""The candidates chart: decode speed against peak memory, one marker per backend, quality loss as marker size,
the Pareto front drawn, the device's usable memory as a line, 80 % intervals as error bars. Rendered by
matplotlib as SVG text (no files, no pyplot state), so a report can inline it and open offline."""

from __future__ import annotations

import io
import math

from .schemas import Candidate

MARKERS = {"llamacpp": "o", "olive": "s", "openvino": "D", "mlx": "^", "qnn": "v", "executorch": "P", "mlc": "X", "rkllm": "*"}
COLOURS = {"llamacpp": "#1f77b4", "olive": "#ff7f0e", "openvino": "#2ca02c", "mlx": "#d62728", "qnn": "#9467bd",
           "executorch": "#8c564b", "mlc": "#e377c2", "rkllm": "#17becf"}


def usable_by_unit(plan, kb) -> dict[str, float]:
    """The memory each compute unit of the plan's candidates may use (the rule the violations use)."""
    from .predict import memory_limit

    return {u: memory_limit(plan.device, u, kb).gib for u in {c.compute for c in plan.candidates}}


def marker_size(ppl_pct: float) -> float:
    """Bigger marker, bigger quality loss (area grows with log(1 + loss))."""
    return 30.0 + 60.0 * math.log1p(max(ppl_pct, 0.0))


def front_2d(cands: list[Candidate]) -> list[Candidate]:
    """Feasible candidates (all, when none is) that no other beats on both peak memory and decode speed, by
    memory."""
    pool = [c for c in cands if c.feasible] or list(cands)
    pool.sort(key=lambda c: (c.peak_memory_gib.value, -c.decode_tokens_per_s.value))
    out: list[Candidate] = []
    for c in pool:
        if not out or c.decode_tokens_per_s.value > out[-1].decode_tokens_per_s.value:
            out.append(c)
    return out


def candidates_svg(cands: list[Candidate], usable_gib: dict[str, float], title: str = "",
                   size: tuple[float, float] = (9.0, 5.6)) -> str:
    """An SVG document (text) of the chart; `usable_gib` maps a compute unit to the memory it may use."""
    try:
        from matplotlib import rcParams
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D
    except ImportError:
        from .errors import InputError

        raise InputError("--html needs matplotlib, which is not installed: pip install -c requirements/constraints.txt "
                         "matplotlib (or rerun scripts/setup.sh)") from None

    rcParams["svg.hashsalt"] = "advisor"  # the same plan gives the same SVG
    fig = Figure(figsize=size, dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    backends = list(dict.fromkeys(c.backend for c in cands))
    for b in backends:
        group = [c for c in cands if c.backend == b]
        xs = [c.peak_memory_gib.value for c in group]
        ys = [c.decode_tokens_per_s.value for c in group]
        xerr = [[max(c.peak_memory_gib.value - c.peak_memory_gib.low, 0) for c in group],
                [max(c.peak_memory_gib.high - c.peak_memory_gib.value, 0) for c in group]]
        yerr = [[max(c.decode_tokens_per_s.value - c.decode_tokens_per_s.low, 0) for c in group],
                [max(c.decode_tokens_per_s.high - c.decode_tokens_per_s.value, 0) for c in group]]
        colour = COLOURS.get(b, "#7f7f7f")
        ax.errorbar(xs, ys, xerr=xerr, yerr=yerr, fmt="none", ecolor=colour, alpha=0.35, lw=1, gid=f"errors-{b}")
        ok = [c for c in group if c.feasible]
        bad = [c for c in group if not c.feasible]
        for subset, face, tag in ((ok, colour, "feasible"), (bad, "none", "infeasible")):
            if subset:
                ax.scatter([c.peak_memory_gib.value for c in subset], [c.decode_tokens_per_s.value for c in subset],
                           s=[marker_size(c.ppl_increase_pct.value) for c in subset], marker=MARKERS.get(b, "o"),
                           facecolors=face, edgecolors=colour, linewidths=1.2, zorder=3, gid=f"markers-{b}-{tag}")
    ringed = [c for c in cands if c.pareto]
    if ringed:  # the plan's Pareto front (memory, decode speed and quality at once): a ring around each member
        ax.scatter([c.peak_memory_gib.value for c in ringed], [c.decode_tokens_per_s.value for c in ringed],
                   s=[marker_size(c.ppl_increase_pct.value) * 2.2 for c in ringed], marker="o", facecolors="none",
                   edgecolors="#222222", linewidths=0.8, zorder=4, gid="pareto-members")
    front = front_2d(cands)
    if front:  # its shadow on this chart: the candidates no other beats on both memory and decode speed
        ax.plot([c.peak_memory_gib.value for c in front], [c.decode_tokens_per_s.value for c in front], ls="--",
                color="#333333", lw=1, drawstyle="steps-post", zorder=2, gid="pareto-front")
    by_gib: dict[float, list[str]] = {}
    for unit, gib in sorted(usable_gib.items()):
        by_gib.setdefault(round(gib, 2), []).append(unit)
    for i, (gib, units) in enumerate(sorted(by_gib.items())):
        ax.axvline(gib, color="#b22222", ls=":", lw=1.5, gid="usable-" + "-".join(units))
        ax.annotate(f"usable ({', '.join(units)}) {gib:.1f} GiB", (gib, 1), xycoords=("data", "axes fraction"),
                    xytext=(-3, -12 - 11 * i), textcoords="offset points", fontsize=8, color="#b22222", ha="right")
    if cands and min(c.decode_tokens_per_s.low for c in cands) > 0:
        ax.set_yscale("log")
    ax.set_xlabel("peak memory, GiB (80 % interval)")
    ax.set_ylabel("decode, tokens/s (80 % interval)")
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(True, which="major", alpha=0.25)
    handles = [Line2D([], [], marker=MARKERS.get(b, "o"), color=COLOURS.get(b, "#7f7f7f"), ls="", label=b)
               for b in backends]
    handles.append(Line2D([], [], color="#333333", ls="--", label="Pareto front (memory, decode)"))
    handles.append(Line2D([], [], marker="o", color="#222222", mfc="none", ls="", ms=10,
                          label="on the plan's front (+ quality)"))
    handles.append(Line2D([], [], marker="o", color="#555555", mfc="none", ls="", label="infeasible (hollow)"))
    ax.legend(handles=handles, fontsize=8, loc="best", title="marker size = perplexity loss", title_fontsize=7)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]  # drop the XML prolog and doctype: the SVG is inlined into HTML
