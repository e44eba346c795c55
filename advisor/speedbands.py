"""Out-of-sample residuals of the speed fit and the 80 % bands built from them.

`out_of_fold` refits advisor/speedfit.py without each held-out group (a device, a source, a whole engine: `SPLITS`);
`group_band` turns those residuals into a band with a share of the split-conformal correction. advisor/fit.py builds
the shipped bands with them and benchmarks/prediction_accuracy.py scores them. Constants are policy, explained in
docs/policy.md#speed-fit.
"""

from __future__ import annotations

import math
from collections import Counter

from .engines import Engine
from .speed_data import SpeedRow
from .speedfit import SpeedFit


def out_of_fold(kind: str, rows: list[SpeedRow], engines: dict[str, Engine], fold_of) -> dict[int, float]:
    """Out-of-sample log residuals (measured - predicted) per row index, refitting without each fold."""
    target: list[tuple[int, SpeedRow]] = [(i, r) for i, r in enumerate(rows) if r.measured(kind)]
    folds = sorted({fold_of(r) for _, r in target})
    out: dict[int, float] = {}
    for f in folds:
        train = [r for _, r in target if fold_of(r) != f]
        test = [(i, r) for i, r in target if fold_of(r) == f]
        if not train:
            continue
        m = SpeedFit(kind).fit(train, engines)
        for (i, r), lp in zip(test, m.predict_log([r for _, r in test])):
            out[i] = math.log(r.measured(kind) or 1.0) - lp  # target rows have the figure
    return out


def weighted_quantiles(values: list[float], weights: list[float], qs: tuple[float, ...]) -> list[float]:
    """Quantiles where each value counts by its weight (each held-out group counts once, however many rows it
    has, so one large device or source cannot set a band that misses the next one)."""
    import numpy as np

    order = np.argsort(values)
    v, w = np.asarray(values, dtype=float)[order], np.asarray(weights, dtype=float)[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return [float(np.interp(q, cum, v)) for q in qs]


# How much of the split-conformal finite-sample correction a band takes (1: all, the guarantee of at least 80 % for a
# new group; 0: the plain quantiles). The full correction over-covered decode (92 % on a new device, 90 % on a new
# source: bands wider than the errors they bound); half of it covers 84 % and 88 %. Prefill keeps all of it: a new
# source's prefill is covered 73 % with it and 67 % with half (benchmarks/prediction_accuracy.py, 2026-12-04).
CONFORMAL = {"decode": 0.5, "prefill": 1.0}
# A proxy's band (an engine with no rows of its own) comes from leaving each whole engine out. With every engine
# weighing the same and the full correction for ~20 engines, its ends were set by the few engines measured once or
# twice (a single Olive or ExecuTorch Vulkan row): the prefill band spanned x0.04..x4.5, x0.03..x8.4 on GPUs, and held
# 99 % of a left-out engine's rows. An engine weighing the square root of its rows and half the correction hold 79 %
# of prefill and 83 % of decode rows (target 70-90 %; benchmarks/prediction_accuracy.py, 2026-12-05), prefill's band
# x0.28..x3.1.
PROXY_BAND = {"group_power": 0.5, "conformal": 0.5}


# Prefill bands come from rows whose prompt has at least this many tokens: a shorter prompt's first-token latency is
# mostly the fixed cost of a call (t0, fitted coarsely and once for every unit), and its residuals set the band's ends
# for every plan: OpenVINO's 32- to 38-token rows (a 14B FP16 model on a 32 GB laptop among them) put its low end at
# 1/20 of the middle figure. Rows of any length are still fitted and still scored against their bands (coverage:
# a new device 90 % -> 85 %, a new source 73 % -> 75 %, 2026-12-04).
BAND_MIN_PROMPT = {"decode": 0.0, "prefill": 128.0}


def band_row(kind: str, x) -> bool:
    """Whether a row's out-of-sample residual enters the 80 % bands of `kind`."""
    return x.prompt_tokens >= BAND_MIN_PROMPT[kind]


def conformal_levels(k: int, low: float, high: float, strength: float = 1.0) -> tuple[float, float]:
    """Quantile levels that give a new group `low`..`high` coverage when the band comes from k exchangeable groups
    (the split-conformal finite-sample correction, scaled by `strength`): with 10 engines and the full correction an
    80 % band is nearly their whole range."""
    k = max(k, 1)
    return max(0.0, (low * (k + strength) - strength) / k), min(1.0, high * (k + strength) / k)


def group_band(values: list[float], folds: list, kind: str, low: float, high: float, proxy: bool = False) -> list[float]:
    """The `low`..`high` band of out-of-sample residuals `values` over held-out groups (`folds`), with `kind`'s share
    of the split-conformal correction for the number of groups. Each group weighs the same, except in a proxy's band
    (groups are whole engines left out), where PROXY_BAND sets both."""
    power, strength = (PROXY_BAND["group_power"], PROXY_BAND["conformal"]) if proxy else (0.0, CONFORMAL[kind])
    levels = conformal_levels(len(set(folds)), low, high, strength)
    return weighted_quantiles(values, group_weights(folds, power), levels)


def group_weights(keys: list, power: float = 0.0) -> list[float]:
    """Per-value weights under which each group of equal keys weighs (its size)^power: 0, every group the same."""
    counts = Counter(keys)
    return [counts[k] ** power / counts[k] for k in keys]


SPLITS = {
    "device": lambda r: r.group,
    "source": lambda r: r.source,
    "engine": lambda r: r.x.engine,
}
