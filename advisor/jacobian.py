"""A finite-difference Jacobian for sparse least-squares problems (advisor/speedfit.py's fit)."""

from __future__ import annotations

import math


def grouped_jacobian(fun, dep):
    """Forward-difference Jacobian of `fun` (scipy's default step) where `dep[i, j]` says whether residual i can
    depend on parameter j: parameters that share no residual are perturbed together, so a fit with a hundred
    engine, family and source parameters costs a few dozen evaluations per step instead of one per parameter."""
    import numpy as np

    groups: list[list[int]] = []
    used: list = []
    for j in range(dep.shape[1]):
        for g, u in zip(groups, used):
            if not (u & dep[:, j]).any():
                g.append(j)
                u |= dep[:, j]
                break
        else:
            groups.append([j])
            used.append(dep[:, j].copy())

    def jac(x):
        f0 = fun(x)
        out = np.zeros((len(f0), len(x)))
        step = math.sqrt(np.finfo(float).eps) * np.where(x >= 0, 1.0, -1.0) * np.maximum(1.0, np.abs(x))
        for g in groups:
            x1 = x.copy()
            x1[g] += step[g]
            df = fun(x1) - f0
            for j, h in zip(g, x1[g] - x[g]):
                out[dep[:, j], j] = df[dep[:, j]] / h
        return out

    return jac
