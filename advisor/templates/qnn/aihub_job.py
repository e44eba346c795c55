#!/usr/bin/env python3
"""Qualcomm AI Hub jobs for one model.

  aihub_job.py export --model DIR --out DIR --settings settings.json      HF -> ONNX (local, no network)
  aihub_job.py submit --onnx DIR --device NAME --settings settings.json --calibration TEXT --model DIR --out DIR
               [--dry-run]    quantize (w8a16/w8a8/w4a16), compile, profile and inference jobs

`submit` checks for a token (~/.qai_hub/client.ini or $QAIHUB_CLIENT_INI) before any network call; --dry-run
prints the jobs it would submit and sends nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def _settings(path: str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))["qnn"]


def export(a) -> int:
    from optimum.exporters.onnx import main_export

    main_export(a.model, output=a.out, task="text-generation", no_post_process=True, do_validation=False)
    print(f"ONNX model in {a.out}")
    return 0


def _inputs(a, seq_len: int, n: int) -> dict:
    import numpy as np
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(a.model)
    ids = tok(Path(a.calibration).read_text(encoding="utf-8"))["input_ids"]
    rows = [ids[i * seq_len:(i + 1) * seq_len] for i in range(n)]
    rows = [r + [tok.eos_token_id or 0] * (seq_len - len(r)) for r in rows if r]
    return {"input_ids": [np.array([r], dtype=np.int32) for r in rows],
            "attention_mask": [np.ones((1, seq_len), dtype=np.int32) for _ in rows]}


def submit(a) -> int:
    s = _settings(a.settings)
    seq = s["seq_len"]
    onnx = Path(a.onnx) / "model.onnx"
    specs = {"input_ids": ((1, seq), "int32"), "attention_mask": ((1, seq), "int32")}
    plan = []
    if s["weights_dtype"]:
        plan.append(f"submit_quantize_job(model={onnx}, weights_dtype={s['weights_dtype']}, "
                    f"activations_dtype={s['activations_dtype']}, calibration_data=<sample.txt, {seq} tokens x 4>)")
    plan += [f"submit_compile_job(model=<{'quantized' if s['weights_dtype'] else 'onnx'}>, device={a.device!r}, "
             f"input_specs={specs}, options='--target_runtime {s['target_runtime']}')",
             f"submit_profile_job(model=<compiled>, device={a.device!r})",
             f"submit_inference_job(model=<compiled>, device={a.device!r}, inputs=<one calibration row>)"]
    for line in plan:
        print("job:", line)
    if a.dry_run:
        print("dry run: nothing submitted")
        return 0
    ini = Path(os.environ.get("QAIHUB_CLIENT_INI") or Path.home() / ".qai_hub" / "client.ini")
    if not ini.is_file():
        print(f"no Qualcomm AI Hub token ({ini} missing): run `qai-hub configure --api_token YOUR_TOKEN`; "
              "stopping before any network call", file=sys.stderr)
        return 4
    import qai_hub as hub

    device = hub.Device(a.device)
    calib = _inputs(a, seq, 4)
    model = str(onnx)
    jobs: dict = {}
    if s["weights_dtype"]:
        q = hub.submit_quantize_job(model=model, calibration_data=calib,
                                    weights_dtype=hub.QuantizeDtype[s["weights_dtype"]],
                                    activations_dtype=hub.QuantizeDtype[s["activations_dtype"]])
        jobs["quantize"] = q
        model = q.get_target_model()
    c = hub.submit_compile_job(model=model, device=device, input_specs=specs,
                               options=f"--target_runtime {s['target_runtime']}")
    jobs["compile"] = c
    target = c.get_target_model()
    if target is None:
        print(f"compile failed: {c.url}", file=sys.stderr)
        return 1
    jobs["profile"] = hub.submit_profile_job(model=target, device=device)
    one = {k: v[:1] for k, v in calib.items()}
    jobs["inference"] = hub.submit_inference_job(model=target, device=device, inputs=one)
    out = Path(a.out)
    target.download(str(out / "model_qnn.bin"))
    record = {k: {"id": j.job_id, "url": j.url} for k, j in jobs.items()}
    (out / "aihub_jobs.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    for name in ("--model", "--out", "--settings"):
        e.add_argument(name, required=True)
    s = sub.add_parser("submit")
    for name in ("--onnx", "--device", "--settings", "--calibration", "--model", "--out"):
        s.add_argument(name, required=True)
    s.add_argument("--dry-run", action="store_true")
    a = p.parse_args(argv)
    return export(a) if a.cmd == "export" else submit(a)


if __name__ == "__main__":
    sys.exit(main())
