"""What the default probe set costs here, and how the advisor's predictions compare with what the probes measure.

Runs llama.cpp Q4_K_M and Q8_0, OpenVINO INT4 and Olive/ONNX Runtime INT8 on the builtin probe model as
`advisor plan --probe` does (each phase in its own subprocess; conversions two at a time, measurements alone), prints the wall time of the set and, per probe, predicted
(for --device auto: advisor.detect.detect_profile()) next to measured. Target: < 60 s once the probe model and
its base exports are cached (the first run builds them).

    python benchmarks/probe_cost.py [--model builtin|tiny|DIR] [--threads N] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from advisor.probe.request import default_threads
from advisor.probe.runner import run_probes
from advisor.probe.spec import DEFAULT_SET, ProbeRequest

KEYS = (("weights MiB", "weights_gib", 1024), ("peak MiB", "peak_memory_gib", 1024),
        ("decode tok/s", "decode_tokens_per_s", 1), ("prefill tok/s", "prefill_tokens_per_s", 1),
        ("ppl +%", "ppl_increase_pct", 1))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="builtin")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    threads = a.threads or default_threads()
    t0 = time.perf_counter()
    rows = run_probes([ProbeRequest(backend=b, quant=q, model=a.model, threads=threads) for b, q in DEFAULT_SET],
                      step=lambda msg: print(f"  {msg}", file=sys.stderr))
    for r in rows:
        print(f"{r.backend:9} {r.quant:7} {'ok' if r.ok else 'FAILED: ' + str(r.reason)}  {r.wall_s:.1f} s",
              file=sys.stderr)
    wall = time.perf_counter() - t0
    if a.json:
        print(json.dumps({"wall_s": wall, "threads": threads, "probes": [r.model_dump(mode="json") for r in rows]}))
        return 0 if all(r.ok for r in rows) else 1
    print(f"default probe set on {a.model}: {wall:.1f} s wall ({threads} threads)")
    print(f"{'probe':18} {'figure':14} {'predicted':>10} {'measured':>10} {'meas/pred':>9}")
    for r in rows:
        name = f"{r.backend} {r.quant}"
        if not r.ok:
            print(f"{name:18} failed: {r.reason}")
            continue
        for label, key, scale in KEYS:
            p, m = (r.predicted or {}).get(key), getattr(r.measured, key)
            ratio = f"{m / p:9.2f}" if p and m and key != "ppl_increase_pct" else " " * 9
            fmt = lambda x: f"{x * scale:10.2f}" if x is not None else f"{'-':>10}"  # noqa: E731
            print(f"{name:18} {label:14} {fmt(p)} {fmt(m)} {ratio}")
        m = r.measured
        print(f"{name:18} {'KL / top-1':14} {'':>10} {m.kld:6.4f} / {m.top1_agreement:.3f}  "
              f"(convert {m.convert_s:.1f} s, load {m.load_s:.2f} s, probe {r.wall_s:.1f} s)")
    return 0 if all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
