"""Public speed measurements (knowledge/data/speed/*.csv) and the devices they ran on (knowledge/data/devices*.csv),
turned into model inputs for fitting and for the accuracy benchmark. I/O at the edge: the fit reads this once.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import paths
from .architecture import count_params, kv_bytes_per_token
from .engines import Engine
from .knowledge import Knowledge
from .speedmodel import SpeedInput, cpu_tops, gpu_matrix, unit_arch

GB = 1e9
GIB = float(2**30)
SPEED_DIR = paths.KNOWLEDGE_DIR / "data" / "speed"
HOLDOUT_DIR = paths.KNOWLEDGE_DIR / "data" / "holdout"  # never fitted: benchmarks/holdout_accuracy.py


@dataclass(frozen=True)
class SpeedRow:
    x: SpeedInput
    tg: float | None
    pp: float | None
    device: str
    group: str  # device group for leave-one-device-out (memory variants and unit labels folded)
    source: str  # source_id for leave-one-source-out
    model: str
    quant: str
    size_measured: float | None = None
    size_predicted: float | None = None
    family: str = ""

    def measured(self, kind: str) -> float | None:
        """The row's tokens/s of `kind` ('decode' | 'prefill'), None when it has no such figure."""
        return self.tg if kind == "decode" else self.pp


@lru_cache(maxsize=1)
def measurement_map() -> dict:
    """knowledge/data/measurement_map.yaml: how published model and quant names map onto the advisor's ids,
    validated (a malformed entry is one line naming it, not a KeyError in the middle of a fit)."""
    from .yamlio import read_data

    p = paths.KNOWLEDGE_DIR / "data" / "measurement_map.yaml"
    data = read_data(p)  # a syntax error or a python tag is one line too, and a key written twice is refused
    check_measurement_map(data, p)
    assert isinstance(data, dict)  # check_measurement_map refuses anything else
    return data


def check_measurement_map(data: object, where) -> None:
    from pydantic import BaseModel, ConfigDict, ValidationError

    from .errors import KnowledgeError

    class Entry(BaseModel):
        model_config = ConfigDict(extra="forbid")
        pattern: str

    class Quant(Entry):
        quant: str | None = None
        family: str | None = None
        bits: float | None = None
        bpw: float | None = None
        source: str | None = None

    class Generic(Entry):
        family: str
        bits: float
        bpw: float
        source: str

    class Exclude(Entry):
        reason: str

    class Moe(Entry):
        active_b: float
        source: str

    class Model(Entry):
        id: str

    class QualityModel(Entry):
        params_b: float
        source: str

    class Map(BaseModel):
        model_config = ConfigDict(extra="forbid")
        quants: list[Quant]
        generic_quants: list[Generic] = []
        exclude_models: list[Exclude] = []
        moe_active: list[Moe] = []
        models: list[Model]
        quality_models: list[QualityModel] = []

    try:
        m = Map.model_validate(data)
        for entry in [*m.quants, *m.generic_quants, *m.exclude_models, *m.moe_active, *m.models, *m.quality_models]:
            re.compile(entry.pattern)
    except ValidationError as exc:
        e = exc.errors()[0]
        at = ".".join(str(x) for x in e["loc"])
        raise KnowledgeError(f"{where}: {at}: {e['msg'].lower()}; fix that entry (keys: see check_measurement_map)") from None
    except re.error as exc:
        raise KnowledgeError(f"{where}: pattern {exc.pattern!r} is not a regular expression ({exc}); fix or escape "
                             "it") from None


def positive_float(s: str | None) -> float | None:
    """A positive finite number from a CSV cell, else None (empty, text, zero, negative, inf, nan)."""
    try:
        v = float(s) if s not in (None, "") else None
    except ValueError:
        return None
    return v if v is not None and v > 0 and math.isfinite(v) else None


def device_group(name: str) -> str:
    g = re.sub(r"\s*\((?:on |CPU|NPU|Arc iGPU|Iris Xe|[^)]*host)[^)]*\)", "", name)
    g = re.sub(r"\s+\d+\s*GB\b.*$", "", g)
    return re.sub(r"\+$", "", g.strip())  # a phone's "+" model carries the same chip and memory (Galaxy S25+)


def load_devices(directory: Path | None = None) -> dict[str, dict]:
    """Every devices*.csv row by device name. A device named in several files takes each field from the first file
    (sorted by name) that fills it."""
    out: dict[str, dict] = {}
    for p in sorted((directory or paths.KNOWLEDGE_DIR / "data").glob("devices*.csv")):
        with open(p, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                have = out.setdefault(r["device"].strip(), dict(r))
                for k, v in r.items():
                    if v and v.strip() and not (have.get(k) or "").strip():
                        have[k] = v
    return out


def unit_tops(dev: dict, unit: str, threads: float | None, kb: Knowledge, float_math: bool = False) -> float | None:
    """The device's peak for the unit from its sourced figures (None when it states none). `float_math`: a CPU's
    throughput for float attention (FP16 or FP32 lanes, whatever int8 extensions it has); 0 for GPUs/NPUs,
    whose stated peak serves both."""
    if unit != "cpu":
        if float_math:
            return 0.0
        return positive_float(dev.get("gpu_tflops_fp16" if unit == "gpu" else "npu_tops_int8"))
    cores, ghz = positive_float(dev.get("cpu_cores")), positive_float(dev.get("cpu_freq_ghz"))
    if not (cores and ghz):
        return None
    used = min(threads or cores, cores)  # all cores unless the source says how many threads ran, as plans assume
    return cpu_tops(used, ghz, kb.macs_per_cycle((dev.get("cpu_features") or "").split(), float_math))


def compute_ratios(devices: dict[str, dict], kb: Knowledge) -> dict[str, float]:
    """Per unit, the geometric mean of (peak compute / bandwidth) over devices stating both: used to impute a
    compute figure from bandwidth where a device states none."""
    out = {}
    for unit in ("cpu", "gpu", "npu"):
        logs = [math.log(t / bw) for d in devices.values()
                if (bw := positive_float(d.get("bandwidth_gbs"))) and (t := unit_tops(d, unit, None, kb))]
        out[unit] = sum(logs) / len(logs) if logs else 0.0
    return out


def _quant(mp: dict, backend: str, published: str, kb: Knowledge):
    """(family, bits, body bpw, advisor format or None) for a published quant name; None if unknown."""
    for q in mp["quants"]:
        if re.search(q["pattern"], published, flags=re.I):
            qid = q.get("quant") or published.strip()
            fmt = kb.format(backend, qid) if backend in kb.backends else None
            if fmt is not None:
                return fmt.family, fmt.bits, None, fmt
            if "family" in q:
                return q["family"], float(q["bits"]), float(q["bpw"]), None
    for q in mp.get("generic_quants", []):
        if re.search(q["pattern"], published, flags=re.I):
            return q["family"], float(q["bits"]), float(q["bpw"]), None
    return None


_VENDORS = [  # first match on the device name and its unit's name
    ("apple", r"\bApple\b|\bM[1-5]\b|iPhone|MacBook|Mac mini|Mac Studio"),
    ("nvidia", r"NVIDIA|RTX|GTX|Jetson|GB10|DGX|A100"),
    ("qualcomm", r"Snapdragon|Adreno|Qualcomm|Hexagon|Galaxy S2[2-9]|Galaxy S[3-9]\d|Xiaomi|OnePlus|Redmi|Realme|Dragonwing|SA8\d|VENTUNO|Dragon Q"),
    ("intel", r"Intel|Arc |Iris|Core Ultra|Core i\d|N1[05]0"),
    ("amd", r"AMD|Radeon|Ryzen|Strix"),
    ("arm", r"Raspberry|Rockchip|RK3|RV11|Orange Pi|Rock 5|Exynos|Mali|Galaxy A"),
]

# a CPU's maker class from the vendor its device matched, as speedmodel.cpu_vendor gives it at plan time: PC CPUs
# are x86 whoever made them; NVIDIA's own CPUs (Jetson, GB10) are Arm Cortex cores
_CPU_CLASS = {"intel": "x86", "amd": "x86", "nvidia": "arm"}


def device_vendor(dev: dict, unit: str) -> str:
    """Who made the unit a row ran on (x86 for PC CPUs, whoever made them), from the device's names."""
    text = " ".join(str(dev.get(k) or "") for k in ("device", "gpu_name", "npu_name"))
    v = next((v for v, pat in _VENDORS if re.search(pat, text)), "other")
    if unit == "cpu":
        return _CPU_CLASS.get(v, v)
    if unit == "npu" and v == "arm" and re.search(r"Rockchip|RK3\d|RV11|RKNPU", text):
        return "rockchip"  # the RKNPU is Rockchip's own (profiles name its vendor so); the Arm cores stay "arm"
    return v


def is_phone(device_class: str, name: str) -> bool:
    """A phone, from the device table's class or, for rows filed under the SoC's class, the phone's name."""
    return device_class == "phone" or bool(re.search(r"Galaxy S\d|Xiaomi|Poco|POCO|OnePlus|Redmi|Realme|iPhone|Pixel",
                                                     name))


def generic_shape(params_b: float) -> tuple[int, float, float]:
    """(layers, attention width, KV bytes per token) of a typical dense GQA decoder of this size, for published
    models outside the catalogue: layers ~ 20 x params^(1/3) (Llama-3.2-1B 16, 3B 28, 8B 32, 70B 80), hidden size
    from params ~ 12 x layers x hidden^2, 8 KV heads of 128 in f16 (Llama-3, Qwen2.5/3, Mistral)."""
    layers = max(8, round(20 * params_b ** (1 / 3)))
    hidden = math.sqrt(params_b * 1e9 / (12 * layers))
    return layers, hidden, 2.0 * layers * 8 * 128 * 2


def load_speed_rows(kb: Knowledge, engines: dict[str, Engine], files: list[Path] | None = None,
                    devices: dict[str, dict] | None = None) -> tuple[list[SpeedRow], dict[str, int], dict[str, float]]:
    """All rows the model can use, the counts of rows skipped by reason, and the compute ratios used."""
    from .predict import weights_bytes

    mp = measurement_map()
    devices = devices if devices is not None else load_devices()
    ratios = compute_ratios(devices, kb)
    rows: list[SpeedRow] = []
    skipped: dict[str, int] = {}

    def skip(reason: str) -> None:
        skipped[reason] = skipped.get(reason, 0) + 1

    for path in files or sorted(SPEED_DIR.glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                eng = engines.get(r["engine"])
                if eng is None:
                    skip(f"engine {r['engine']} not modelled yet")
                    continue
                dev = devices.get(r["device"].strip())
                if dev is None:
                    skip("device missing from devices*.csv")
                    continue
                bw = positive_float(dev.get("bandwidth_gbs"))
                if bw is None:
                    skip("device has no bandwidth figure")
                    continue
                tg, pp = positive_float(r.get("tg_tps")), positive_float(r.get("pp_tps"))
                ttft, plen = positive_float(r.get("ttft_ms")), positive_float(r.get("prompt_len"))
                if pp is None and ttft and plen:
                    pp = plen / (ttft / 1000)  # time to first token of a stated prompt: its prefill (+ one step)
                if tg is None and pp is None:
                    skip("no decode or prefill figure")
                    continue
                excl = next((x for x in mp.get("exclude_models", []) if re.search(x["pattern"], r["model"], flags=re.I)), None)
                if excl is not None:
                    skip(f"model excluded: {excl['reason']}")
                    continue
                q = _quant(mp, eng.backend, r["quant"], kb)
                if q is None:
                    skip("quant not mapped")
                    continue
                family, bits, bpw, fmt = q
                spec = next((kb.models[m["id"]] for m in mp["models"]
                             if re.search(m["pattern"], r["model"], flags=re.I) and m["id"] in kb.models), None)
                params_b = positive_float(r.get("params_b"))
                size_pub = positive_float(r.get("model_size_gib"))
                size_pred = None
                if spec is not None:
                    pc = count_params(spec)
                    active = pc.active / pc.total
                    moe = spec.is_moe
                    if fmt is not None:
                        wbytes, _ = weights_bytes(spec, fmt, kb, pc)
                        size_pred = wbytes / GIB
                    else:
                        wbytes = pc.total * bpw / 8
                    layers, kv_tok = spec.num_hidden_layers, kv_bytes_per_token(spec)
                    q_width = spec.num_attention_heads * spec.head_size
                    act_params = pc.active / 1e9
                elif params_b:
                    skip("model not in catalogue (modelled from its parameter count; row kept)")
                    wbytes = params_b * 1e9 * (bpw or (fmt.bpw if fmt and fmt.bpw else bits + 0.5)) / 8
                    routed = next((m for m in mp.get("moe_active", []) if re.search(m["pattern"], r["model"], flags=re.I)),
                                  None)
                    act_params = float(routed["active_b"]) if routed else float(params_b)
                    moe = routed is not None
                    active = act_params / params_b
                    layers, q_width, kv_tok = generic_shape(act_params)  # type: ignore[assignment]
                else:
                    skip("model unknown and no parameter count")
                    continue
                if size_pub:
                    wbytes = size_pub * GIB  # the published file is the best figure for bytes read
                threads = positive_float(r.get("threads"))
                tops = unit_tops(dev, eng.unit, threads, kb)
                imputed = tops is None
                if tops is None:
                    tops = bw * math.exp(ratios[eng.unit])
                # TTFT x prefill rate is the prompt length of that same measurement (Qualcomm's short-prompt runs
                # publish both but not the length)
                prompt = positive_float(r.get("prompt_len")) or (pp * ttft / 1000 if pp and ttft else None) or 512.0
                gen = positive_float(r.get("gen_len")) or 128.0
                ctx = positive_float(r.get("context_len"))
                kv_decode = ctx if ctx else prompt + gen / 2
                kv_prefill = ctx if (ctx and eng.static_shapes) else prompt / 2
                attn = 4.0 * layers * q_width / 1e9
                cpu_attn = unit_tops(dev, "cpu", None, kb, float_math=True) if eng.attention == "cpu" else None
                unit_name = dev.get(f"{eng.unit}_name") or ""  # gpu_name / npu_name; CPUs have none
                x = SpeedInput(
                    engine=eng.id, unit=eng.unit, family=family, bandwidth_gbs=bw, compute_tops=tops,
                    compute_imputed=imputed,
                    decode_gb_per_token=(wbytes * active + kv_tok * kv_decode) / GB,
                    active_params_b=act_params, layers=layers,
                    attn_gflop_per_token=attn * kv_prefill, attn_gflop_decode=attn * kv_decode, prompt_tokens=prompt,
                    vendor=device_vendor({**dev, "device": r["device"]}, eng.unit),
                    attn_tops=cpu_attn or unit_tops(dev, eng.unit, threads, kb, float_math=True) or 0.0,
                    device=device_group(r["device"]), attn_on_cpu=bool(cpu_attn),
                    arch=unit_arch(eng.unit, unit_name), matrix=eng.unit == "gpu" and gpu_matrix(unit_name), moe=moe,
                    phone=is_phone(dev.get("device_class") or "", r["device"]),
                )
                rows.append(SpeedRow(
                    x=x, tg=tg, pp=pp, device=r["device"], group=device_group(r["device"]),
                    source=r["source_id"] or r["source_url"], model=r["model"], quant=r["quant"],
                    size_measured=size_pub if spec is not None else None, size_predicted=size_pred, family=family,
                ))
    return rows, skipped, ratios
