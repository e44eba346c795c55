"""Predicted next to measured, for the terminal (rich) — used by `advisor probe` and `advisor plan --probe`."""

from __future__ import annotations

from ..render import num
from .spec import ProbeResult

ROWS = (("weights GiB", "weights_gib"), ("peak memory GiB", "peak_memory_gib"),
        ("decode tok/s", "decode_tokens_per_s"), ("prefill tok/s", "prefill_tokens_per_s"),
        ("perplexity +%", "ppl_increase_pct"))


def _fmt(x) -> str:
    return "-" if x is None else num(float(x))


def result_table(r: ProbeResult):
    from rich.table import Table

    title = f"{r.backend} {r.quant} on {r.model}: " + ("measured" if r.ok else f"FAILED — {r.reason}")
    if r.ok and r.under_load:
        title += " UNDER LOAD (speeds not used to recalibrate)"
    t = Table(title=title, caption="predicted: the advisor's model for this probe model on this machine")
    for c in ("figure", "measured", "predicted"):
        t.add_column(c, justify="left" if c == "figure" else "right")
    p = r.predicted or {}
    for label, key in ROWS:
        t.add_row(label, _fmt(getattr(r.measured, key)), _fmt(p.get(key)))
    m = r.measured
    for label, val in (("KL divergence", m.kld), ("top-1 agreement", m.top1_agreement), ("perplexity", m.perplexity),
                       ("perplexity (FP32)", m.perplexity_ref), ("convert s", m.convert_s),
                       ("base export s (cached)", m.base_convert_s), ("load s", m.load_s)):
        t.add_row(label, _fmt(val), "")
    return t


def comparison_table(cands):
    """Plan candidates that were probed: each figure predicted (for the probe model) vs measured."""
    from rich.table import Table

    t = Table(title="probes: measured vs predicted for the probe model on this machine")
    for c in ("backend", "quant", "status", "decode meas/pred", "prefill meas/pred", "MiB meas/pred", "KL", "top-1"):
        t.add_column(c)
    for c in cands:
        m = c.measured
        if m is None:
            continue
        p = m.predicted_for_probe_model or {}
        if not m.ok:
            t.add_row(c.backend, c.quant, f"failed: {m.reason}", "", "", "", "", "")
            continue
        mib = lambda g: None if g is None else g * 1024  # noqa: E731
        t.add_row(c.backend, c.quant, "ok, under load" if m.under_load else "ok",
                  f"{_fmt(m.decode_tokens_per_s)} / {_fmt(p.get('decode_tokens_per_s'))}",
                  f"{_fmt(m.prefill_tokens_per_s)} / {_fmt(p.get('prefill_tokens_per_s'))}",
                  f"{_fmt(mib(m.weights_gib))} / {_fmt(mib(p.get('weights_gib')))}",
                  _fmt(m.kld), _fmt(m.top1_agreement))
    return t
