#!/usr/bin/env python3
"""Ingest Qualcomm AI Hub Models LLM speed numbers from a qai-hub-models wheel.

Reads every ``qai_hub_models/models/*/perf.yaml`` holding ``llm_metrics`` inside a
downloaded qai-hub-models wheel (opened as a zip; the package is never installed
or imported) and writes one CSV row per published measurement in the columns of
``knowledge/data/speed/README.md``.

Usage:
    python scripts/ingest_qai_hub_models.py --version 0.65.0
    python scripts/ingest_qai_hub_models.py --wheel /tmp/qai_hub_models-0.65.0-py3-none-any.whl

What the numbers mean (from the wheel's own code and manifests, 0.65.0):

* ``tokens_per_second`` -> ``tg_tps``; ``prefill_tokens_per_second`` -> ``pp_tps``.
* ``context_length`` is the context size the exported bundle / benchmark cell
  was built for (KV-cache size), not a token count already in the context.
* ``time_to_first_token_range_milliseconds``: the manifests say "The lower bound
  is for a short prompt (up to 128 tokens, i.e., one iteration of the prompt
  processor) and the upper bound is for a prompt using the full context
  length".  How each end is obtained differs by runtime
  (``models/templates/llm/perf_collection.py``, ``utils/llm/genie/jobs.py``,
  ``utils/llm/geniex/jobs.py``):

  - ``genie`` / ``qnn_context_binary``: ``min`` is the TTFT measured on a short
    chat-templated prompt ("What is gravity?" with the default system prompt),
    ``max`` is ``min * context_length / 128`` ("legacy genie scaling"), i.e. an
    extrapolation.  Rows carry ``ttft_ms = min``; ``max`` is kept in notes only.
  - ``geniex_qairt`` / ``geniex_llamacpp`` (geniex-bench, 128 generated tokens,
    3 repetitions, medians): the bench ran a long prompt
    (llamacpp: ``-p context_length-128 -c context_length+128 -n 128``;
    qairt: ``sample_prompt_<context_length>.txt`` with the chat template), and
    Qualcomm scaled the measured TTFT linearly to 128 tokens (``min``) and to
    ``context_length`` tokens (``max``).  Rows carry ``ttft_ms = max`` with
    ``prompt_len = context_len = context_length`` (the published meaning of the
    upper bound); ``min`` is kept in notes only.  In some 0.65.0 entries
    ``min x prefill_tps`` equals ``context_length`` tokens instead of 128 (min is
    already the full-context TTFT and max was scaled a second time); there
    ``ttft_ms = min`` and the notes say so.

Rows for devices listed in the wheel's ``similar_devices.yaml`` are copies of a
reference chipset's numbers (not measured on that device) and are dropped unless
``--keep-proxy-devices`` is given.  Rows with a zero rate are dropped.

Needs only the standard library and PyYAML.
"""

from __future__ import annotations

import argparse
import collections
import csv
import io
import os
import re
import subprocess
import sys
import tempfile
import zipfile

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.stderr.write("error: PyYAML is required (python -c 'import yaml' failed)\n")
    sys.exit(2)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO_ROOT, "knowledge", "data", "speed", "qai_hub_models.csv")

COLUMNS = [
    "device", "engine", "model", "params_b", "quant", "threads", "context_len",
    "prompt_len", "gen_len", "tg_tps", "pp_tps", "ttft_ms", "model_size_gib",
    "source_url", "source_id", "transcribed", "notes",
]

# (runtime, desired_compute_unit) -> engine
ENGINE_MAP = {
    ("genie", "npu"): "qnn-npu",
    ("geniex_qairt", "npu"): "qnn-npu",
    ("qnn_context_binary", "npu"): "qnn-npu",
    ("geniex_llamacpp", "cpu"): "llamacpp-cpu",
    # GenieX ships llama.cpp with the Adreno OpenCL and Hexagon HTP ggml backends
    # (github.com/qualcomm/GenieX .github/workflows/build-llama-cpp-windows.yml).
    ("geniex_llamacpp", "gpu"): "llamacpp-gpu-opencl",
    ("geniex_llamacpp", "npu"): "llamacpp-npu-hexagon",
}

QUANT_MAP = {"q4_0": "Q4_0", "q8_0": "Q8_0", "q4_k_m": "Q4_K_M", "mxfp4": "MXFP4"}

GENIEX_N_GEN = 128  # utils/llm/geniex/jobs.py: _N_GEN = 128


class InputError(Exception):
    pass


def fail(msg: str) -> None:
    sys.stderr.write(f"error: {msg}\n")
    sys.exit(2)


def download_wheel(version: str, dest: str) -> str:
    if not re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", version):
        raise InputError(f"bad --version {version!r}")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           f"qai-hub-models=={version}", "-d", dest, "-q"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise InputError(f"pip download qai-hub-models=={version} failed: {last}")
    wheels = sorted(f for f in os.listdir(dest) if f.endswith(".whl"))
    if not wheels:
        raise InputError(f"pip download produced no wheel for qai-hub-models=={version}")
    return os.path.join(dest, wheels[0])


def wheel_version(zf: zipfile.ZipFile, path: str) -> str:
    for name in zf.namelist():
        if name.endswith(".dist-info/METADATA"):
            for line in zf.read(name).decode("utf-8", "replace").splitlines():
                if line.startswith("Version:"):
                    return line.split(":", 1)[1].strip()
    m = re.search(r"qai_hub_models-([^-]+)-", os.path.basename(path))
    if m:
        return m.group(1)
    raise InputError(f"cannot tell the qai-hub-models version of {path}")


def load_yaml(zf: zipfile.ZipFile, name: str):
    try:
        return yaml.safe_load(zf.read(name))
    except KeyError:
        return None
    except yaml.YAMLError as e:
        raise InputError(f"{name}: bad YAML ({str(e).splitlines()[0]})") from e


def fmt(x, nd=4):
    if x is None or x == "":
        return ""
    if isinstance(x, int):
        return str(x)
    s = f"{float(x):.{nd}f}".rstrip("0").rstrip(".")
    return s


PARAM_RE = re.compile(r"(?<![\w.])E?(\d+(?:[.p]\d+)?)\s*[Bb](?![a-zA-Z])")


def params_from_manifest(manifest: dict, model_name: str):
    """-> (params_b string, note)."""
    td = (manifest or {}).get("technical_details") or {}
    for k, v in td.items():
        if "number of parameters" in str(k).lower():
            m = re.search(r"(\d+(?:\.\d+)?)\s*([BM])", str(v))
            if m:
                val = float(m.group(1)) / (1000.0 if m.group(2) == "M" else 1.0)
                note = f"params_b from manifest.yaml 'Number of parameters: {v}'"
                return fmt(val, 3), note
    m = PARAM_RE.search(model_name)
    if m:
        val = float(m.group(1).replace("p", "."))
        return fmt(val, 3), "params_b = nominal size in the model name (not in the wheel)"
    return "", "params_b not stated in the wheel"


def collect(wheel_path: str, keep_proxy: bool):
    if not os.path.isfile(wheel_path):
        raise InputError(f"wheel not found: {wheel_path}")
    if not zipfile.is_zipfile(wheel_path):
        raise InputError(f"not a zip/wheel file: {wheel_path}")
    rows, dropped = [], []
    with zipfile.ZipFile(wheel_path) as zf:
        version = wheel_version(zf, wheel_path)
        names = set(zf.namelist())
        perf_files = sorted(
            n for n in names
            if re.fullmatch(r"qai_hub_models/models/[^/]+/perf\.yaml", n)
        )
        if not perf_files:
            raise InputError(f"{wheel_path}: no qai_hub_models/models/*/perf.yaml inside")
        similar = {}
        sim = load_yaml(zf, "qai_hub_models/similar_devices.yaml") or {}
        for dev, d in (sim.get("devices") or {}).items():
            similar[dev] = (d or {}).get("reference_chipset") or (d or {}).get("chipset")
        source_id = f"qai-hub-models-{version}"
        source_url = f"https://pypi.org/project/qai-hub-models/{version}/"
        for pf in perf_files:
            raw = zf.read(pf)
            if b"llm_metrics" not in raw:
                continue
            perf = load_yaml(zf, pf) or {}
            folder = pf.split("/")[2]
            manifest = load_yaml(zf, f"qai_hub_models/models/{folder}/manifest.yaml") or {}
            rtd = manifest.get("runtime_technical_details") or {}
            hf = manifest.get("source_repo") or ""
            for prec, pv in sorted((perf.get("precisions") or {}).items()):
                for comp, cv in sorted(((pv or {}).get("components") or {}).items()):
                    params_b, pnote = params_from_manifest(manifest, comp)
                    for dev, dv in sorted(((cv or {}).get("performance_metrics") or {}).items()):
                        for rt, rv in sorted((dv or {}).items()):
                            metrics = (rv or {}).get("llm_metrics") or []
                            tv = (rv or {}).get("tool_versions") or {}
                            for m in metrics:
                                cu = str(m.get("desired_compute_unit") or "npu")
                                ctx = m.get("context_length")
                                tps = m.get("tokens_per_second")
                                pre = m.get("prefill_tokens_per_second")
                                tr = m.get("time_to_first_token_range_milliseconds") or {}
                                key = f"{pf} {prec}/{comp}/{dev}/{rt}/{cu}/ctx{ctx}"
                                engine = ENGINE_MAP.get((rt, cu))
                                if engine is None:
                                    dropped.append((key, f"unknown runtime/compute unit {rt}/{cu}"))
                                    continue
                                if dev in similar and not keep_proxy:
                                    dropped.append((key, "proxy device: numbers copied by Qualcomm from "
                                                    f"reference chipset {similar[dev]} (similar_devices.yaml), not measured on it"))
                                    continue
                                if not tps or (pre is not None and not pre):
                                    dropped.append((key, f"zero rate published (tps={tps}, prefill={pre})"))
                                    continue
                                notes = [f"file {pf}", f"precision key '{prec}'",
                                         f"runtime {rt}, desired_compute_unit {cu}",
                                         f"context_length {ctx}"]
                                tmin, tmax = tr.get("min"), tr.get("max")
                                row = dict.fromkeys(COLUMNS, "")
                                row.update(device=dev, engine=engine, model=comp,
                                           params_b=params_b, quant=QUANT_MAP.get(prec, prec),
                                           tg_tps=fmt(tps), pp_tps=fmt(pre),
                                           source_url=source_url, source_id=source_id)
                                if rt in ("genie", "qnn_context_binary"):
                                    row["ttft_ms"] = fmt(tmin, 3)
                                    notes.append(
                                        "tg/pp/TTFT measured (Genie profile medians) on a short chat-templated "
                                        "prompt ('What is gravity?' + system prompt, <=128 tokens, one AR-128 "
                                        "prompt-processor iteration); prompt token count not published")
                                    notes.append(
                                        f"published TTFT range {fmt(tmin, 1)}-{fmt(tmax, 1)} ms; upper end is "
                                        "min x context_length/128 extrapolated by Qualcomm, not used")
                                else:  # geniex_qairt / geniex_llamacpp
                                    # Normal case: min x prefill ~= 128 tokens and max is the
                                    # full-context end.  Some entries instead have min x prefill
                                    # ~= context_length (min already the full-context TTFT) and a
                                    # max scaled a second time by context_length/128.
                                    ratio = (tmin * pre / 1000.0) if (tmin and pre) else None
                                    if ratio is None or abs(ratio / 128.0 - 1) < 0.05:
                                        row["ttft_ms"] = fmt(tmax, 3)
                                        ttft_note = (f"ttft_ms = published TTFT upper bound (full {ctx}-token prompt); "
                                                     f"range {fmt(tmin, 1)}-{fmt(tmax, 1)} ms, both ends scaled linearly "
                                                     "by Qualcomm from the measured long-prompt TTFT")
                                    elif ctx and abs(ratio / ctx - 1) < 0.05:
                                        row["ttft_ms"] = fmt(tmin, 3)
                                        ttft_note = (f"ttft_ms = published TTFT lower bound: in this entry min x prefill_tps = "
                                                     f"{ratio:.0f} tokens (= context_length), so min is the full-context TTFT "
                                                     f"and the published max {fmt(tmax, 1)} ms looks scaled twice by "
                                                     f"context_length/128 (not used)")
                                    else:
                                        ttft_note = (f"published TTFT range {fmt(tmin, 1)}-{fmt(tmax, 1)} ms inconsistent with "
                                                     f"prefill_tps (min x prefill = {ratio:.0f} tokens); ttft_ms left empty")
                                    row["prompt_len"] = str(ctx) if ctx else ""
                                    row["context_len"] = str(ctx) if ctx else ""
                                    row["gen_len"] = str(GENIEX_N_GEN)
                                    if rt == "geniex_llamacpp":
                                        bench = (f"geniex-bench llama.cpp plugin -p {ctx - 128} -n 128 -c {ctx + 128} -r 3"
                                                 if ctx else "geniex-bench llama.cpp plugin")
                                    else:
                                        bench = (f"geniex-bench qairt plugin, prompt sample_prompt_{ctx}.txt "
                                                 "(chat template; token count not published), -n 128 -r 3")
                                    notes.append(bench + ", medians")
                                    notes.append(ttft_note)
                                if rt == "geniex_llamacpp" and cu == "gpu":
                                    notes.append("GPU = Adreno via llama.cpp OpenCL backend (GenieX build)")
                                if rt == "geniex_llamacpp" and cu == "npu":
                                    notes.append("NPU = llama.cpp ggml-hexagon (HTP) backend (GenieX build)")
                                if prec == "w4":
                                    notes.append("w4 = 4-bit weights with fp16 activations")
                                if tv:
                                    notes.append("tool_versions " + ", ".join(
                                        f"{k}={tv[k]}" for k in sorted(tv)))
                                rdet = rtd.get(rt) or {}
                                for k in ("Model Size", "Quantization Type", "model_infer_id"):
                                    if k in rdet:
                                        notes.append(f"{k}: {rdet[k]}")
                                if dev in similar:
                                    notes.append(f"PROXY: copied from reference chipset {similar[dev]}")
                                notes.append(pnote)
                                if hf:
                                    notes.append(f"model card {hf}")
                                row["notes"] = "; ".join(notes)
                                rows.append(row)
    rows.sort(key=lambda r: (r["device"], r["engine"], r["model"], r["quant"],
                             int(r["context_len"] or 0), r["notes"]))
    dropped.sort()
    return version, rows, dropped


def write_csv(rows, out_path):
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    with open(out_path, "w", encoding="utf-8", newline="") as f:
        f.write(buf.getvalue())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description="Extract LLM speed rows (Genie/GenieX/QNN) from a qai-hub-models wheel "
                    "into knowledge/data/speed/qai_hub_models.csv (no install).")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--wheel", help="path to a downloaded qai_hub_models-*.whl")
    g.add_argument("--version", help="download qai-hub-models==VERSION with pip (no deps) and use it")
    ap.add_argument("--out", default=DEFAULT_OUT, help=f"output CSV (default: {DEFAULT_OUT})")
    ap.add_argument("--dropped-out", help="also write the dropped entries, one per line, to this file")
    ap.add_argument("--keep-proxy-devices", action="store_true",
                    help="keep rows of similar_devices.yaml devices (numbers copied from a reference chipset)")
    args = ap.parse_args(argv)
    try:
        if args.version:
            with tempfile.TemporaryDirectory() as tmp:
                wheel = download_wheel(args.version, tmp)
                version, rows, dropped = collect(wheel, args.keep_proxy_devices)
        else:
            version, rows, dropped = collect(args.wheel, args.keep_proxy_devices)
    except InputError as e:
        fail(str(e))
    except zipfile.BadZipFile as e:
        fail(f"bad wheel: {e}")
    if not rows:
        fail("no llm_metrics rows found in the wheel")
    write_csv(rows, args.out)
    if args.dropped_out:
        with open(args.dropped_out, "w", encoding="utf-8") as f:
            for key, why in dropped:
                f.write(f"{key}: {why}\n")
    by = collections.Counter((r["notes"].split("runtime ", 1)[1].split(",", 1)[0], r["engine"], r["device"])
                             for r in rows)
    print(f"qai-hub-models {version}: {len(rows)} rows -> {args.out}")
    print(f"{'runtime':<20} {'engine':<22} {'device':<28} rows")
    for (rt, eng, dev), n in sorted(by.items()):
        print(f"{rt:<20} {eng:<22} {dev:<28} {n}")
    why = collections.Counter(re.sub(r" \(.*|: numbers.*| .tps=.*", "", w) for _, w in dropped)
    print(f"dropped {len(dropped)}: " + ", ".join(f"{k} x{v}" for k, v in sorted(why.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
