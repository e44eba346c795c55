"""Quality of a quantized model against its FP32 reference, from logits over the same tokens (pure numpy)."""

from __future__ import annotations

import numpy as np


def log_softmax(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def perplexity(logits: np.ndarray, ids: np.ndarray) -> float:
    """exp(mean NLL) of ids[1:] given logits[:-1] (logits[i] predicts ids[i+1])."""
    lp = log_softmax(logits[:-1])
    nll = -lp[np.arange(len(ids) - 1), ids[1:]]
    return float(np.exp(nll.mean()))


def compare(ref_logits: np.ndarray, q_logits: np.ndarray, ids: np.ndarray) -> dict[str, float]:
    """KL(ref || quantized) averaged over positions, top-1 agreement, and both perplexities."""
    if ref_logits.shape != q_logits.shape:
        raise ValueError(f"logit shapes differ: reference {ref_logits.shape}, quantized {q_logits.shape}")
    if not np.isfinite(q_logits).all():
        raise ValueError("the quantized model produced non-finite logits")
    lp, lq = log_softmax(ref_logits), log_softmax(q_logits)
    kld = float((np.exp(lp) * (lp - lq)).sum(axis=-1).mean())
    top1 = float((ref_logits.argmax(-1) == q_logits.argmax(-1)).mean())
    ppl_ref, ppl_q = perplexity(ref_logits, ids), perplexity(q_logits, ids)
    return {
        "kld": max(kld, 0.0),
        "top1_agreement": top1,
        "perplexity": ppl_q,
        "perplexity_ref": ppl_ref,
        "ppl_increase_pct": (ppl_q / ppl_ref - 1.0) * 100.0,
    }
