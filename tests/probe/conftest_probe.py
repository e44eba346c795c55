"""Helpers shared by the probe tests (a plain module: pytest puts this folder on sys.path)."""

from __future__ import annotations

from advisor.probe.env import environment
from advisor.probe.spec import Measured, ProbeResult


def result(ok=True, decode=50.0, backend="llamacpp") -> ProbeResult:
    return ProbeResult(backend=backend, quant="Q8_0", model="m", ok=ok, reason=None if ok else "boom",
                       measured=Measured(decode_tokens_per_s=decode, prefill_tokens_per_s=200.0, weights_gib=0.1,
                                         kld=0.01),
                       predicted={"decode_tokens_per_s": 40.0, "prefill_tokens_per_s": 400.0}, env=environment(2))
