"""The candidates chart in the terminal (textual-plotext): decode speed against peak memory, one marker per
backend (hollow = infeasible, '=' = a probe here moved its speed), the Pareto front as a line, usable memory as a
red line, 80 % intervals as error bars. The plan screen shows it with `v` and redraws it when probes land."""

from __future__ import annotations

import math

from textual_plotext import PlotextPlot

from ..chart import front_2d
from ..schemas import Candidate, Plan

GLYPHS = {"llamacpp": ("●", "○"), "olive": ("■", "□"), "openvino": ("◆", "◇"), "mlx": ("▲", "△"),
          "qnn": ("▼", "▽"), "executorch": ("✚", "+"), "mlc": ("✖", "x"), "rkllm": ("✱", "*")}
COLOURS = {"llamacpp": "blue+", "olive": "orange+", "openvino": "green+", "mlx": "red+", "qnn": "magenta+",
           "executorch": "cyan", "mlc": "yellow", "rkllm": "bright_cyan"}


NICE = [m * 10.0 ** e for e in range(-2, 5) for m in (1, 2, 5)]


def series(plan: Plan) -> dict[str, list[Candidate]]:
    """Candidates by backend, in plan order (what the chart draws, exposed for tests)."""
    out: dict[str, list[Candidate]] = {}
    for c in plan.candidates:
        out.setdefault(c.backend, []).append(c)
    return out


class CandidatesChart(PlotextPlot):
    """Call `show_plan(plan, usable)` whenever the plan changes."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.plan: Plan | None = None
        self.usable: dict[str, float] = {}

    def show_plan(self, plan: Plan, usable: dict[str, float]) -> None:
        self.plan, self.usable = plan, dict(usable)
        self.refresh()

    def render(self):
        self._draw()  # at render time: the tick spacing depends on the size the widget has now
        return super().render()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plan = self.plan
        if plan is None or not plan.candidates:
            plt.title("no candidates")
            return
        log = min(c.decode_tokens_per_s.low for c in plan.candidates) > 0
        y = (lambda v: math.log10(v)) if log else (lambda v: v)
        groups = series(plan)
        for c in plan.candidates:  # 80 % intervals first, asymmetric (plotext's error() is symmetric)
            cy = y(c.decode_tokens_per_s.value)
            plt.plot([c.peak_memory_gib.value] * 2, [y(c.decode_tokens_per_s.low), y(c.decode_tokens_per_s.high)],
                     marker="│", color="gray")
            plt.plot([c.peak_memory_gib.low, c.peak_memory_gib.high], [cy, cy], marker="─", color="gray")
        for b, group in groups.items():  # then the markers, over the bars
            full, hollow = GLYPHS.get(b, ("●", "○"))
            for feasible, glyph in ((False, hollow), (True, full)):
                pick = [c for c in group if c.feasible == feasible]
                if pick:  # no plotext legend: it would cover the smallest candidates; the title is the legend
                    plt.scatter([c.peak_memory_gib.value for c in pick], [y(c.decode_tokens_per_s.value) for c in pick],
                                marker=glyph, color=COLOURS.get(b, "white"))
        front = front_2d(plan.candidates)
        if len(front) > 1:
            plt.plot([c.peak_memory_gib.value for c in front], [y(c.decode_tokens_per_s.value) for c in front],
                     color="white", marker="braille")
        for gib in sorted(set(round(v, 2) for v in self.usable.values())):
            plt.vertical_line(gib, color="red")
        probed = [c for c in plan.candidates if c.decode_tokens_per_s.evidence == "measured-here" or c.measured]
        if probed:  # last, so nothing draws over them
            plt.scatter([c.peak_memory_gib.value for c in probed], [y(c.decode_tokens_per_s.value) for c in probed],
                        marker="=", color="white")
        plt.xlabel("peak GiB (red: usable)")
        plt.ylabel("decode tok/s")
        if log:
            lo = min(c.decode_tokens_per_s.low for c in plan.candidates)
            hi = max(c.decode_tokens_per_s.high for c in plan.candidates)
            # no more ticks than every other row holds (plotext drops colliding ones in a hash-dependent order)
            room = max(2, (self.size.height - 5) // 2)
            ticks = [v for v in NICE if lo / 2 <= v <= hi * 2]
            for step in (1, 3, 6, 9):
                if len(ticks[::step]) <= room:
                    break
            ticks = ticks[::step]
            plt.yticks([math.log10(v) for v in ticks], [f"{v:g}" for v in ticks])
        legend = " ".join(f"{GLYPHS.get(b, ('●',))[0]} {b}" for b in groups)
        plt.title(f"{legend} · hollow = infeasible · = probed")
