#!/usr/bin/env python3
"""Compare what the scripts produced with the plan's predictions (settings.json -> "predicted").

  report.py SETTINGS.json OUT_DIR ARTIFACT     prints a table and adds "artifact" + "checks" to OUT_DIR/results.json

The size check is meaningful only for the model the plan was made for; on another model it is shown for scale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def size_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    settings = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    out, artifact = Path(argv[1]), Path(argv[2])
    if not artifact.exists():
        print(f"artifact not found: {artifact}", file=sys.stderr)
        return 1
    res_path = out / "results.json"
    results = json.loads(res_path.read_text(encoding="utf-8")) if res_path.exists() else {}
    gib = size_bytes(artifact) / 2**30
    results["artifact"] = {"path": str(artifact), "bytes": size_bytes(artifact), "gib": gib}
    pred = settings["predicted"]
    measured = {"weights_gib": gib}
    v = results.get("validate", {})
    for key in ("decode_tokens_per_s", "prefill_tokens_per_s", "ppl_increase_pct"):
        if isinstance(v.get(key), (int, float)):
            measured[key] = v[key]
    checks = {}
    print(f"{'figure':24} {'predicted [80 % interval]':>30} {'measured':>12}  verdict")
    for key, est in pred.items():
        got = measured.get(key)
        band = f"{est['value']:.3g} [{est['low']:.3g}-{est['high']:.3g}]"
        if got is None:
            verdict, shown = "not measured here", "-"
        else:
            verdict = "inside" if est["low"] <= got <= est["high"] else "outside"
            shown = f"{got:.4g}"
        checks[key] = {"predicted": est, "measured": got, "verdict": verdict}
        print(f"{key:24} {band:>30} {shown:>12}  {verdict}")
    model = settings["model"]
    print(f"(predictions are for {model['name'] or model['id']} on {settings['device']['name']}; "
          "a different model or machine gives different numbers)")
    results["checks"] = checks
    tmp = res_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    tmp.replace(res_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
