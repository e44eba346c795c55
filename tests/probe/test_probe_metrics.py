import numpy as np
import pytest

from advisor.probe.metrics import compare, log_softmax, perplexity


def _logits(seed=0, n=40, v=50):
    return np.random.default_rng(seed).normal(size=(n, v)) * 3


def test_identical_logits_cost_nothing():
    x = _logits()
    ids = np.arange(40) % 50
    q = compare(x, x.copy(), ids)
    assert q["kld"] == pytest.approx(0, abs=1e-12)
    assert q["top1_agreement"] == 1.0
    assert q["ppl_increase_pct"] == pytest.approx(0, abs=1e-9)


def test_noise_raises_kl_and_lowers_agreement():
    x = _logits()
    ids = x.argmax(-1)
    small = compare(x, x + np.random.default_rng(1).normal(size=x.shape) * 0.05, ids)
    big = compare(x, x + np.random.default_rng(1).normal(size=x.shape) * 2.0, ids)
    assert 0 < small["kld"] < big["kld"]
    assert big["top1_agreement"] < 1.0
    assert big["perplexity"] > big["perplexity_ref"]


def test_perplexity_of_uniform_is_vocab():
    assert perplexity(np.zeros((10, 7)), np.arange(10) % 7) == pytest.approx(7.0)
    assert np.allclose(np.exp(log_softmax(_logits())).sum(-1), 1.0)


def test_shape_mismatch_and_nan_are_errors():
    x = _logits()
    with pytest.raises(ValueError, match="shapes differ"):
        compare(x, x[:-1], np.arange(40))
    y = x.copy()
    y[3, 4] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        compare(x, y, np.arange(40) % 50)
