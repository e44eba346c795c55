"""Engines, the evidence every speed figure carries, and a ranking that does not reward guesses (issue 10)."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from advisor import paths
from advisor.calibration import load_calibration
from advisor.engines import engine_id, load_engines
from advisor.planner import make_plan
from advisor.predict import Workload, predict
from advisor.resolve import load_profiles
from advisor.rank import scores
from advisor.schemas import Constraints, Estimate, Prediction
from advisor.speed_data import SPEED_DIR, load_devices, load_speed_rows

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("device, backend, unit, engine", [
    ("galaxy-s24-ultra", "llamacpp", "gpu", "llamacpp-gpu-opencl"),
    ("galaxy-s24-ultra", "llamacpp", "npu", "llamacpp-npu-hexagon"),
    ("galaxy-s24-ultra", "qnn", "npu", "qnn-npu"),
    ("galaxy-s24-ultra", "olive", "npu", "olive-npu-qnn"),
    ("apple-m2-16gb", "llamacpp", "gpu", "llamacpp-gpu-metal"),
    ("apple-m2-16gb", "mlx", "gpu", "mlx-gpu"),
    ("desktop-rtx-4090-24gb", "llamacpp", "gpu", "llamacpp-gpu-cuda"),
    ("desktop-rtx-4090-24gb", "olive", "gpu", "olive-gpu-cuda"),
    ("intel-core-ultra-7-258v-laptop", "openvino", "gpu", "openvino-gpu"),
    ("intel-core-ultra-7-258v-laptop", "openvino", "npu", "openvino-npu"),
    ("raspberry-pi-5-8gb", "llamacpp", "cpu", "llamacpp-cpu"),
])
def test_each_route_names_the_engine_that_runs_it(kb, profs, device, backend, unit, engine):
    assert engine_id(kb.engines, profs[device], backend, unit) == engine


def test_every_engine_a_backend_offers_is_registered_once(kb):
    engines = load_engines()
    assert engines == kb.engines
    for e in engines.values():
        assert e.id.startswith(f"{e.backend}-{e.unit}")
        assert all(other in engines for other in e.like)


@pytest.mark.parametrize("device", ["galaxy-s24-ultra", "intel-core-ultra-7-258v-laptop", "apple-m2-16gb",
                                    "raspberry-pi-5-8gb", "desktop-rtx-4090-24gb"])
def test_plan_json_carries_engine_and_evidence(device):
    out = subprocess.run([sys.executable, "-m", "advisor", "plan", "-d", device, "-m", "llama-3.2-3b-instruct",
                          "--json"], capture_output=True, text=True, check=True).stdout
    for c in json.loads(out)["candidates"]:
        assert c["engine"]
        for key in ("decode_tokens_per_s", "prefill_tokens_per_s"):
            e = c[key]
            assert e["evidence"] in ("engine", "proxy", "measured-here"), (c["engine"], key)
            assert (e["rows"] == 0) == (e["evidence"] == "proxy"), (c["engine"], key, e)
            assert e["low"] <= e["value"] <= e["high"]


@pytest.mark.parametrize("device", [p for p in sorted(load_profiles())
                                    if load_profiles()[p].class_ in ("snapdragon", "intel_npu", "apple_silicon")])
def test_no_top_pick_rests_on_a_proxy_when_a_measured_engine_is_feasible(kb, profs, device):
    plan = make_plan(profs[device], kb.models["llama-3.2-3b-instruct"], Constraints(), kb, load_calibration())
    feasible = [c for c in plan.candidates if c.feasible]
    backed = [c for c in feasible if c.decode_tokens_per_s.evidence != "proxy"]
    if backed:
        assert plan.candidates[0].decode_tokens_per_s.evidence != "proxy"
        assert any("rests on" in r for r in plan.candidates[0].reasons)


def _pred(decode: float, prefill: float, spread: float = 0.2) -> Prediction:
    def est(v):
        return Estimate(value=v, low=v * (1 - spread), high=v * (1 + spread))

    return Prediction(backend="llamacpp", quant="Q4_0", compute="cpu", weights_gib=est(1.0),
                      peak_memory_gib=est(1.5), decode_tokens_per_s=est(decode), prefill_tokens_per_s=est(prefill),
                      ppl_increase_pct=Estimate(value=1.0, low=0.5, high=2.0))


def test_a_prompt_heavy_workload_favours_fast_prefill():
    fast_decode, fast_prefill = _pred(decode=30, prefill=100), _pred(decode=15, prefill=1500)
    chat = scores([fast_decode, fast_prefill], "speed", prompt_tokens=64, gen_tokens=512)
    rag = scores([fast_decode, fast_prefill], "speed", prompt_tokens=4000, gen_tokens=128)
    assert chat[0] > chat[1] and rag[1] > rag[0]


def test_a_guess_cannot_win_on_its_optimistic_middle():
    measured = _pred(decode=20, prefill=500, spread=0.1)
    guess = _pred(decode=24, prefill=600, spread=0.7)  # higher middle, far wider interval
    s = scores([measured, guess], "speed", prompt_tokens=512, gen_tokens=128)
    assert s[0] > s[1]


def test_speed_follows_the_hardware(kb, profs):
    model, cal, work = kb.models["llama-3.2-3b-instruct"], load_calibration(), Workload(4096, 512, 128)
    dev = profs["raspberry-pi-5-8gb"]
    faster_mem = dev.model_copy(update={"memory": dev.memory.model_copy(update={"bandwidth_gbs": 34.0})})
    more_cores = dev.model_copy(update={"cpu": dev.cpu.model_copy(update={"cores": 8})})
    base, _ = predict(dev, model, "llamacpp", "cpu", "Q4_0", work, kb, cal)
    mem, _ = predict(faster_mem, model, "llamacpp", "cpu", "Q4_0", work, kb, cal)
    cpu, _ = predict(more_cores, model, "llamacpp", "cpu", "Q4_0", work, kb, cal)
    assert mem.decode_tokens_per_s.value > base.decode_tokens_per_s.value
    assert cpu.prefill_tokens_per_s.value > 1.5 * base.prefill_tokens_per_s.value
    assert base.engine == "llamacpp-cpu" and base.decode_tokens_per_s.evidence == "engine"


def test_a_device_without_a_compute_figure_says_so(kb, profs):
    dev = profs["galaxy-s24-ultra"]
    assert dev.npu().tops_int8 is None
    pred, _ = predict(dev, kb.models["llama-3.2-3b-instruct"], "qnn", "npu", "w4a16", Workload(4096, 512, 128), kb,
                      load_calibration())
    assert "imputed" in pred.prefill_tokens_per_s.basis


def test_speed_rows_are_sourced_and_their_devices_described():
    devices = load_devices()
    header = None
    for path in sorted(SPEED_DIR.glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = header or reader.fieldnames
            assert reader.fieldnames == header, path.name
            for r in reader:
                assert r["source_url"].startswith("http") and r["source_id"], (path.name, r["device"])
                assert r["device"].strip() in devices, (path.name, r["device"])
                assert r["tg_tps"] or r["pp_tps"] or r["ttft_ms"], (path.name, r["device"], r["model"])
    readme = (SPEED_DIR / "README.md").read_text(encoding="utf-8")
    assert all(f"`{col}`" in readme for col in header)


def test_fit_uses_rows_of_every_measured_engine(kb):
    rows, skipped, _ = load_speed_rows(kb, kb.engines)
    engines = {r.x.engine for r in rows}
    assert {"qnn-npu", "llamacpp-npu-hexagon", "llamacpp-gpu-opencl", "openvino-gpu", "llamacpp-cpu",
            "llamacpp-gpu-metal", "llamacpp-gpu-cuda", "mlx-gpu"} <= engines
    assert all(math.isfinite(r.x.compute_tops) and r.x.compute_tops > 0 for r in rows)
    assert any(k.startswith("model excluded:") for k in skipped)


def _fake_wheel(path: Path) -> Path:
    perf = """
precisions:
  w4a16:
    components:
      Llama-v3.2-3B-Instruct:
        performance_metrics:
          Samsung Galaxy S25:
            genie:
              llm_metrics:
                - {context_length: 4096, tokens_per_second: 20.5, prefill_tokens_per_second: 800.0,
                   time_to_first_token_range_milliseconds: {min: 60.0, max: 1920.0}}
            geniex_llamacpp:
              llm_metrics:
                - {desired_compute_unit: gpu, context_length: 512, tokens_per_second: 10.0,
                   prefill_tokens_per_second: 100.0, time_to_first_token_range_milliseconds: {min: 1280.0, max: 5120.0}}
"""
    manifest = "technical_details:\n  Number of parameters: 3.21B\n"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("qai_hub_models-9.9.9.dist-info/METADATA", "Name: qai-hub-models\nVersion: 9.9.9\n")
        zf.writestr("qai_hub_models/models/llama_v3_2_3b/perf.yaml", perf)
        zf.writestr("qai_hub_models/models/llama_v3_2_3b/manifest.yaml", manifest)
    return path


def test_qai_hub_models_ingest_reads_a_wheel(tmp_path):
    wheel = _fake_wheel(tmp_path / "qai_hub_models-9.9.9-py3-none-any.whl")
    out = tmp_path / "out.csv"
    script = ROOT / "scripts" / "ingest_qai_hub_models.py"
    r = subprocess.run([sys.executable, str(script), "--wheel", str(wheel), "--out", str(out),
                        "--dropped-out", str(tmp_path / "dropped.txt")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(open(out, newline="", encoding="utf-8")))
    assert {(x["engine"], x["quant"]) for x in rows} == {("qnn-npu", "w4a16"), ("llamacpp-gpu-opencl", "w4a16")}
    genie = next(x for x in rows if x["engine"] == "qnn-npu")
    assert genie["source_id"] == "qai-hub-models-9.9.9" and genie["ttft_ms"] == "60" and genie["params_b"] == "3.21"
    bad = subprocess.run([sys.executable, str(script), "--wheel", str(tmp_path / "missing.whl")],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_calibration_records_what_the_fit_rests_on():
    cal = json.loads(paths.CALIBRATION_FILE.read_text(encoding="utf-8"))
    speed = cal["speed"]
    for kind in ("decode", "prefill"):
        assert speed[kind]["rows"]["qnn-npu"] > 50
        assert any(k.startswith("proxy:") for k in speed[kind]["bands"])
    assert speed["sources"] >= 30 and speed["devices"] >= 40


def test_a_cpu_without_fp16_arithmetic_attends_at_half_the_float_rate(kb, profs):
    """Cortex-A72 (Pi 4): int8 NEON multiplies on one pipe, attention in FP32 lanes; Cortex-A76 (Pi 5): FP16."""
    assert kb.macs_per_cycle(["neon"]) == 8 and kb.macs_per_cycle(["neon", "dotprod", "fp16"]) == 32
    assert kb.macs_per_cycle(["neon"], float_math=True) == 8
    assert kb.macs_per_cycle(["neon", "dotprod"], float_math=True) == 16  # dotprod cores have FP16 arithmetic
    assert kb.macs_per_cycle(["avx2", "avx_vnni"], float_math=True) == 16
    model, cal, work = kb.models["llama-3.2-1b-instruct"], load_calibration(), Workload(4096, 2048, 128)
    pi4, pi5 = profs["raspberry-pi-4-4gb"], profs["raspberry-pi-5-8gb"]
    same_as_pi5 = pi4.model_copy(update={"cpu": pi4.cpu.model_copy(update={"features": list(pi5.cpu.features)})})
    a72, _ = predict(pi4, model, "llamacpp", "cpu", "Q4_0", work, kb, cal)
    a76_isa, _ = predict(same_as_pi5, model, "llamacpp", "cpu", "Q4_0", work, kb, cal)
    assert a72.decode_tokens_per_s.value < a76_isa.decode_tokens_per_s.value
    assert a72.prefill_tokens_per_s.value < 0.8 * a76_isa.prefill_tokens_per_s.value


def test_a_measured_device_carries_its_own_offset_and_a_new_one_none(kb, profs):
    """A measured device keeps what its own rows show beyond the model as a fitted offset (the X Elite CRD's NPU: small
    since QNN's v73 port explains its slow decode; -0.37 before): a plan for the profile describing it uses that
    offset and says so; the same hardware under another id is a new device and gets none."""
    cal = load_calibration()
    groups = cal.speed_params["profile_devices"]["snapdragon-x-elite-laptop"]
    assert "Snapdragon X Elite CRD" in groups
    offset = cal.speed_params["decode"]["device"]["Snapdragon X Elite CRD|npu"]
    assert offset != 0.0
    dev = profs["snapdragon-x-elite-laptop"]
    model, work = kb.models["phi-3.5-mini-instruct"], Workload(4096, 512, 128)
    known, _ = predict(dev, model, "qnn", "npu", "w4a16", work, kb, cal)
    unknown, _ = predict(dev.model_copy(update={"id": "my-x-elite"}), model, "qnn", "npu", "w4a16", work, kb, cal)
    assert "this device's own rows" in known.decode_tokens_per_s.basis
    assert "this device's own rows" not in unknown.decode_tokens_per_s.basis
    ratio = known.decode_tokens_per_s.value / unknown.decode_tokens_per_s.value
    on_engine = cal.speed_params["decode"].get("device_engine", {}).get("Snapdragon X Elite CRD|qnn-npu", 0.0)
    assert ratio == pytest.approx(math.exp(offset + on_engine), rel=1e-3)


def test_the_hexagon_backend_attends_on_the_cpu(kb, profs):
    """llama.cpp's Hexagon backend leaves attention to the CPU (engines.yaml `attention: cpu`, sourced): more CPU
    cores speed its long-context decode; QNN's, attention on the NPU, does not move."""
    assert kb.engines["llamacpp-npu-hexagon"].attention == "cpu" and kb.engines["qnn-npu"].attention == "unit"
    model, cal, work = kb.models["llama-3.2-3b-instruct"], load_calibration(), Workload(8192, 4096, 128)
    dev = profs["galaxy-s24-ultra"]
    more_cores = dev.model_copy(update={"cpu": dev.cpu.model_copy(update={"cores": 2 * dev.cpu.cores})})
    for backend, quant, moves in (("llamacpp", "Q4_0", True), ("qnn", "w4a16", False)):
        base, _ = predict(dev, model, backend, "npu", quant, work, kb, cal)
        more, _ = predict(more_cores, model, backend, "npu", quant, work, kb, cal)
        ratio = more.decode_tokens_per_s.value / base.decode_tokens_per_s.value
        assert (ratio > 1.05) if moves else ratio == pytest.approx(1.0), (backend, ratio)


def test_an_adreno_generation_carries_to_a_new_device_of_it(kb, profs):
    """OpenCL on Adreno is fitted per generation too (6xx / 7xx / 8xx from the GPU's name): a plan on an 8xx GPU uses
    the 8xx effect whatever the profile's id, and an unnamed GPU gets none."""
    from advisor.speedmodel import gpu_arch

    assert [gpu_arch(n) for n in ("Adreno 750", "Adreno X1-85", "Adreno X2-90", "Adreno 663", "Mali-G610", "")] == [
        "adreno7", "adreno7", "adreno8", "adreno6", "", ""]
    cal = load_calibration()
    effect = cal.speed_params["decode"]["arch"]["llamacpp-gpu-opencl|adreno8"]
    assert abs(effect) > 0.1
    dev = profs["galaxy-s25-ultra"]
    assert gpu_arch(dev.gpu().name) == "adreno8"
    _assert_generation_effect(kb, cal, dev, dev.gpu(), None, ("llamacpp", "gpu", "Q4_0"), "llamacpp-gpu-opencl", effect)


def test_an_intel_gpu_generation_is_read_from_its_name(kb, profs):
    """Intel GPUs carry their Xe generation like Adreno GPUs theirs: Xe2 (Battlemage, Lunar Lake's Arc 140V) apart
    from the first Xe generation (Alchemist, Meteor Lake's Arc Graphics, Arrow Lake-H's Arc 140T); both Core Ultra
    profiles and every Intel GPU row name one, and decode fits SYCL's, Vulkan's and OpenVINO's effect on each."""
    from advisor.speedmodel import gpu_arch

    names = ("Intel Arc B580 (20 Xe2-cores)", "Intel Arc 140V (8 Xe2-cores)", "Intel Arc Pro B70 (Xe2 / Battlemage)",
             "Intel Arc A770 16GB (32 Xe-cores, 512 EU)", "Intel Arc Graphics (8 Xe-cores, Xe-LPG)",
             "Intel Arc 140T (8 Xe-cores)", "Intel Iris Xe Graphics (96 EU)", "Intel UHD Graphics 770")
    assert [gpu_arch(n) for n in names] == ["xe2", "xe2", "xe2", "xe1", "xe1", "xe1", "", ""]
    assert gpu_arch(profs["intel-core-ultra-7-155h-laptop"].gpu().name) == "xe1"
    assert gpu_arch(profs["intel-core-ultra-7-258v-laptop"].gpu().name) == "xe2"
    rows, _, _ = load_speed_rows(kb, load_engines())
    arc = [r for r in rows if r.x.unit == "gpu" and r.x.vendor == "intel" and "Arc" in r.group + r.device]
    assert arc and all(r.x.arch in ("xe1", "xe2") for r in arc), {r.group for r in arc if not r.x.arch}
    fitted = set(load_calibration().speed_params["decode"]["arch"])
    assert {f"{e}|{g}" for e in ("llamacpp-gpu-sycl", "openvino-gpu") for g in ("xe1", "xe2")} <= fitted


def test_a_generation_sets_an_engines_per_layer_cost(kb, profs):
    """A generation sets what a decode step costs beyond its bytes, not only how fast they stream: OpenVINO on Meteor
    Lake's Xe-LPG (xe1) decodes a 0.5B model at half Lunar Lake's Xe2 rate, llama.cpp's SYCL backend on the Arc A770
    (xe1) spends 15-25 ms a token beyond its bytes where the Arc Pro B70 (xe2) spends about 3. The fit gives each
    (engine, generation) a per-layer cost; a plan on a renamed 155H carries it (and says so), one whose GPU is named
    without its generation does not, and it weighs on a small model more than on a large one."""
    import dataclasses

    from advisor.speedmodel import SpeedInput, predict_log

    cal = load_calibration()
    taus = cal.speed_params["decode"]["arch_tau"]
    for engine in ("openvino-gpu", "llamacpp-gpu-sycl"):
        assert taus[f"{engine}|xe1"] > taus[f"{engine}|xe2"] + 0.5, (engine, taus)
    assert "arch_tau" not in cal.speed_params["prefill"]
    # llama.cpp's OpenCL backend on Adreno is bound by its kernels, not a generation's cost (ARCH_TAU_EXCLUDED)
    assert not [key for key in taus if key.startswith("llamacpp-gpu-opencl|")], taus
    # a plan: the renamed 155H's GPU carries xe1's per-layer cost, the same GPU named without its generation none
    dev = profs["intel-core-ultra-7-155h-laptop"]
    named, bare = _named_and_bare(kb, cal, dev, dev.gpu(), "Intel GPU", ("openvino", "gpu", "int4"),
                                  "llama-3.2-1b-instruct")
    assert named.engine == bare.engine == "openvino-gpu"
    tau = taus["openvino-gpu|xe1"]
    assert f"its per-layer cost on the xe1 generation x{math.exp(tau):.2f}" in named.decode_tokens_per_s.basis
    assert "per-layer cost" not in bare.decode_tokens_per_s.basis
    # the model: the per-layer cost slows a 0.5B model's step more than an 8B one's
    k = cal.speed_params["decode"]
    without = {**cal.speed_params, "decode": {**k, "arch_tau": {}}}
    small = SpeedInput(engine="openvino-gpu", unit="gpu", family="int4_group", bandwidth_gbs=120.0, compute_tops=9.2,
                       compute_imputed=False, decode_gb_per_token=0.35, active_params_b=0.5, layers=24,
                       attn_gflop_per_token=0.1, vendor="intel", arch="xe1")
    large = dataclasses.replace(small, decode_gb_per_token=4.5, active_params_b=8.0, layers=32)
    slow = [predict_log(without, "decode", x, [])[0] - predict_log(cal.speed_params, "decode", x, [])[0]
            for x in (small, large)]
    assert slow[0] > slow[1] > 0.0, slow


def test_llamacpps_opencl_backend_pays_for_its_decode_attention_on_its_own():
    """llama.cpp's OpenCL backend on Adreno loses 20-40 % of its decode rate from a 512- to a 4,096-token context in
    Qualcomm's rows, far more than its KV cache's bytes: the fit gives its attention a cost of its own at the memory's
    rate (speedfit.GAMMA_ENGINES), which slows a long context more than a short one, and the estimate says so. No
    other engine has one."""
    import dataclasses

    from advisor.speedmodel import SpeedInput, predict_log

    cal = load_calibration()
    k = cal.speed_params["decode"]
    assert set(k["engine_gamma"]) == {"llamacpp-gpu-opencl"}, k["engine_gamma"]
    assert "engine_gamma" not in cal.speed_params["prefill"]
    # a 4B Q4_0 model on an Adreno 8xx at a 512- and a 4,096-token context (attention GFLOPs per token grow with it)
    short = SpeedInput(engine="llamacpp-gpu-opencl", unit="gpu", family="q4", bandwidth_gbs=85.0, compute_tops=6.0,
                       compute_imputed=False, decode_gb_per_token=2.44, active_params_b=4.0, layers=36,
                       attn_gflop_per_token=0.3, attn_gflop_decode=0.3, vendor="qualcomm", arch="adreno8")
    long_ = dataclasses.replace(short, decode_gb_per_token=2.97, attn_gflop_decode=2.4)
    without = {**cal.speed_params, "decode": {**k, "engine_gamma": {}}}
    lost = [predict_log(without, "decode", x, [])[0] - predict_log(cal.speed_params, "decode", x, [])[0]
            for x in (short, long_)]
    assert lost[1] > lost[0] > 0.0, lost
    assert "ms a token at the memory's rate" in cal.speed("decode", long_, []).basis
    assert "decode attention over the context" not in cal.speed(
        "decode", dataclasses.replace(long_, engine="llamacpp-gpu-vulkan"), []).basis


def _named_and_bare(kb, cal, dev, acc, bare_name, route, model_id="llama-3.2-3b-instruct"):
    """Predictions for `dev` under another id (no device offset applies) and for the same with its accelerator `acc`
    named `bare_name` (no generation in it). `route`: (backend, compute, quant)."""
    renamed = dev.model_copy(update={"id": "renamed-device"})
    unnamed = renamed.model_copy(update={"accelerators": [
        a.model_copy(update={"name": bare_name}) if a is acc else a for a in dev.accelerators]})
    model, work = kb.models[model_id], Workload(4096, 512, 128)
    named, _ = predict(renamed, model, *route, work, kb, cal)
    bare, _ = predict(unnamed, model, *route, work, kb, cal)
    return named, bare


def _assert_generation_effect(kb, cal, dev, acc, bare_name, route, engine, effect):
    """A plan on `dev` under another id (no device offset applies) carries its generation's decode effect; with the
    accelerator `acc` named `bare_name` (no generation in it) it carries none. `route`: (backend, compute, quant)."""
    named, bare = _named_and_bare(kb, cal, dev, acc, bare_name, route)
    assert named.engine == bare.engine == engine
    ratio = named.decode_tokens_per_s.value / bare.decode_tokens_per_s.value  # the effect scales the bandwidth term
    assert (math.exp(effect) - 1e-9 <= ratio < 1.0) if effect < 0 else (1.0 < ratio <= math.exp(effect) + 1e-9)
    # the figure says what moved it
    assert f"generation x{math.exp(effect):.2f}" in named.decode_tokens_per_s.basis
    assert "generation x" not in bare.decode_tokens_per_s.basis


def test_a_hexagon_generation_carries_to_a_new_device_of_it(kb, profs):
    """QNN and llama.cpp's Hexagon backend are fitted per HTP generation too (v73 / v75 / v79 / v81 from the NPU's
    name, as Qualcomm's devices_and_chipsets.yaml states it): every Snapdragon profile names its generation, a plan
    on a renamed profile keeps the generation's effect, and an NPU named without its generation gets none."""
    from advisor.speedmodel import PORT_SCALE, npu_arch, unit_arch

    assert [npu_arch(n) for n in ("Hexagon (HTP v73) x2", "Hexagon NPU (HTP v75)", "Hexagon NPU (HTP v73, 45 TOPS)",
                                  "Hexagon NPU", "Intel AI Boost NPU (NPU 4)", "")] == [
        "htp73", "htp75", "htp73", "", "", ""]
    assert unit_arch("npu", "Hexagon (HTP v81)") == "htp81" and unit_arch("gpu", "Adreno 750") == "adreno7"
    assert unit_arch("cpu", "Hexagon (HTP v81)") == ""
    snapdragon = [p for p in profs.values() if p.npu() is not None and p.npu().vendor == "qualcomm"]
    assert len(snapdragon) >= 4 and all(npu_arch(p.npu().name) for p in snapdragon), [p.id for p in snapdragon]
    cal = load_calibration()
    effects = {k: v for k, v in cal.speed_params["decode"]["arch"].items() if k.startswith("qnn-npu|htp")}
    assert {"qnn-npu|htp73", "qnn-npu|htp79", "qnn-npu|htp81"} <= set(effects)
    # what sets the v73 NPU apart (the X Elite decodes at little more than the IQ-9075's rate on 1.75x the bus) is
    # its narrow port (test_npu_engines_stream_over_the_npus_own_port): a renamed X Elite carries the generation's
    # effect and port, and named without its generation it streams at the mean of QNN's measured ports
    effect = effects["qnn-npu|htp73"]
    dev = profs["snapdragon-x-elite-laptop"]
    named, bare = _named_and_bare(kb, cal, dev, dev.npu(), "Hexagon NPU", ("qnn", "npu", "w4a16"))
    assert named.engine == bare.engine == "qnn-npu"
    port = PORT_SCALE * math.exp(cal.speed_params["decode"]["engine_port"]["qnn-npu|htp73"])
    assert f"generation x{math.exp(effect):.2f}" in named.decode_tokens_per_s.basis
    assert f"(port fitted at {port:.0f} GB/s)" in named.decode_tokens_per_s.basis
    assert "generation x" not in bare.decode_tokens_per_s.basis
    assert "the mean of the ports fitted" in bare.decode_tokens_per_s.basis
    assert named.decode_tokens_per_s.value < bare.decode_tokens_per_s.value


def test_a_mixture_of_experts_prefills_slower_per_active_parameter(kb, profs):
    """Public rows of MoE models (Qwen3-30B-A3B, gpt-oss, GLM-4.5-Air ...) prefill ~2.7x slower than their active
    parameters say: each expert multiplies a few dozen of the batch's tokens. The fit learns one factor for every
    unit; decode, which reads only the active experts, has none. Rows are flagged from the architecture, not from
    the share of parameters read (a dense model with an untied embedding reads less than it holds, too)."""
    import dataclasses

    from advisor.architecture import count_params
    from advisor.predict import speed_input
    from advisor.speedmodel import predict_log

    rows, _, _ = load_speed_rows(kb, kb.engines)
    flagged = {r.model for r in rows if r.x.moe}
    assert any(m.startswith("Qwen3-30B-A3B") for m in flagged) and any(m.startswith("gpt-oss") for m in flagged)
    assert not any(m.lower().startswith(("llama-2", "llama-3", "meta-llama-3", "qwen2.5", "phi")) for m in flagged)
    cal = load_calibration()
    assert cal.speed_params["prefill"]["log_moe"]["gpu"] > 0.3
    assert "log_moe" not in cal.speed_params["decode"]
    model, dev = kb.models["qwen3-30b-a3b"], profs["amd-ryzen-ai-max-395-128gb"]
    fmt = kb.format("llamacpp", "Q4_K_M")
    pc = count_params(model)
    x, engine = speed_input(dev, model, pc, fmt, "llamacpp", "gpu", pc.total * 4.9 / 8, 0.0,
                            Workload(4096, 512, 128), kb, cal)
    assert x.moe
    like = engine.like if engine else []
    assert "mixture of experts" in cal.speed("prefill", x, like).basis
    assert "mixture of experts" not in cal.speed("decode", x, like).basis
    for kind, slower in (("prefill", True), ("decode", False)):
        moe, _ = predict_log(cal.speed_params, kind, x, like)
        dense, _ = predict_log(cal.speed_params, kind, dataclasses.replace(x, moe=False), like)
        assert (moe < dense - 0.3) if slower else moe == pytest.approx(dense), kind


def test_decode_bands_take_half_the_conformal_correction():
    from advisor.speedbands import CONFORMAL, conformal_levels

    assert conformal_levels(9, 0.1, 0.9, 0.0) == pytest.approx((0.1, 0.9))
    assert conformal_levels(9, 0.1, 0.9) == pytest.approx((0.0, 1.0))
    low, high = conformal_levels(9, 0.1, 0.9, CONFORMAL["decode"])
    assert 0.0 < low < 0.1 and 0.9 < high < 1.0
    assert CONFORMAL["prefill"] == 1.0


def test_a_proxy_band_is_not_set_by_engines_measured_once():
    """A proxy's band weighs each left-out engine by the square root of its rows: one engine measured once far off
    moves the plain per-engine quantiles to its residual, and barely moves the proxy's."""
    from advisor.speedbands import PROXY_BAND, group_band, group_weights

    assert group_weights(["a", "a", "a", "a", "b"]) == pytest.approx([0.25] * 4 + [1.0])
    assert group_weights(["a", "a", "a", "a", "b"], 0.5) == pytest.approx([0.5] * 4 + [1.0])
    assert PROXY_BAND["group_power"] > 0
    values = [(i - 50) / 100 for i in range(100)] * 4 + [-3.0, 3.0]  # four engines of 100 rows and two of one row
    folds = [e for e in "abcd" for _ in range(100)] + ["e", "f"]
    plain = group_band(values, folds, "prefill", 0.1, 0.9)
    proxy = group_band(values, folds, "prefill", 0.1, 0.9, proxy=True)
    assert plain[0] < -1.0 and plain[1] > 1.0
    assert -0.5 <= proxy[0] < -0.3 and 0.3 < proxy[1] <= 0.5
    lo, hi, _ = load_calibration().speed_params["prefill"]["bands"]["proxy:all"]
    assert math.exp(hi - lo) < 30, "a proxy's prefill band spanned a factor of 100 with equal engine weights"


def test_an_engine_measured_on_a_device_carries_what_it_showed_there(kb, profs):
    """Each measured (device, engine) gets its own decode offset for what no shared parameter explains (llama.cpp's
    CPU rows on the IQ-9075 run well above what its Cortex-A78C cores should reach), so one device's quirk does not
    set the engine's efficiency for the next; what a generation explains goes to the generation (the Arc A770's slow
    SYCL rows are Xe's per-layer cost, which the Core Ultra 155H's share). A plan for a profile describing a measured
    device carries its unit's and its engine's offsets, a renamed copy neither."""
    cal = load_calibration()
    fitted = cal.speed_params["decode"]["device_engine"]
    assert fitted["Dragonwing IQ-9075 EVK|llamacpp-cpu"] > 0.3
    assert abs(fitted["Intel Arc A770|llamacpp-gpu-sycl"]) < 0.1 < cal.speed_params["decode"]["arch_tau"][
        "llamacpp-gpu-sycl|xe1"]
    assert "device_engine" not in cal.speed_params["prefill"]
    dev, model, work = profs["intel-core-ultra-7-155h-laptop"], kb.models["llama-3.1-8b-instruct"], Workload(4096, 512, 128)
    known, _ = predict(dev, model, "llamacpp", "gpu", "Q4_K_M", work, kb, cal)
    renamed, _ = predict(dev.model_copy(update={"id": "my-laptop"}), model, "llamacpp", "gpu", "Q4_K_M", work, kb, cal)
    assert known.engine == "llamacpp-gpu-sycl"
    both = (cal.speed_params["decode"]["device"]["Intel Core Ultra 7 155H|gpu"]
            + fitted.get("Intel Core Ultra 7 155H|llamacpp-gpu-sycl", 0.0))
    ratio = known.decode_tokens_per_s.value / renamed.decode_tokens_per_s.value
    assert ratio == pytest.approx(math.exp(both), rel=1e-3)


def test_prefill_bands_leave_out_first_token_latencies_of_short_prompts():
    """A 32-token prompt's first-token latency is mostly a call's fixed cost: such rows are fitted and scored but do
    not set the prefill bands (OpenVINO's low end had been 1/20 of its middle figure from two of them)."""
    import dataclasses

    from advisor.speedbands import band_row
    from advisor.speedmodel import SpeedInput

    x = SpeedInput(engine="e", unit="gpu", family="q8", bandwidth_gbs=100.0, compute_tops=10.0,
                   compute_imputed=False, decode_gb_per_token=1.0, active_params_b=1.0, layers=16,
                   attn_gflop_per_token=0.1, prompt_tokens=32.0)
    assert not band_row("prefill", x) and band_row("decode", x)
    assert band_row("prefill", dataclasses.replace(x, prompt_tokens=512.0))
    lo, hi, _ = load_calibration().speed_params["prefill"]["bands"]["openvino-gpu"]
    assert -2.0 < lo < 0.0 < hi


def test_a_phone_cpu_prefills_long_prompts_slower(kb, profs):
    """Qualcomm's llama.cpp CPU runs on Galaxy S25/S26 phones lose about half their prefill rate from a 512- to a
    4,096-token prompt beyond what the X Elite laptops and the IQ-9075 board lose: a passively cooled phone cannot
    hold its clocks through a minute-long prefill. Phones are flagged from the device table's class or a phone's
    name (rows filed under the SoC), profiles from an Android- or iOS-only OS list; the fit gives a phone's CPU a
    further prompt-attention weight, which long prompts feel and short ones barely do."""
    import dataclasses

    from advisor.architecture import count_params
    from advisor.predict import speed_input
    from advisor.speedmodel import predict_log

    rows, _, _ = load_speed_rows(kb, kb.engines)
    phones = {r.device for r in rows if r.x.phone}
    assert {"Samsung Galaxy S25", "Samsung Galaxy S26", "Samsung Galaxy S24 Ultra"} <= phones
    assert any("Xiaomi 14" in d for d in phones)  # filed under the SoC's class, named as a phone
    assert not phones & {"Snapdragon X Elite CRD", "Snapdragon X2 Elite CRD", "Dragonwing IQ-9075 EVK"}
    cal = load_calibration()
    assert cal.speed_params["prefill"]["log_alpha_phone"]["cpu"] > 0.5
    assert cal.speed_params["prefill"]["log_alpha_phone"]["gpu"] == 0.0 == cal.speed_params["prefill"]["log_alpha_phone"]["npu"]
    assert "log_alpha_phone" not in cal.speed_params["decode"]
    model, fmt = kb.models["llama-3.2-3b-instruct"], kb.format("llamacpp", "Q4_0")
    pc = count_params(model)
    flags = {}
    for dev_id in ("galaxy-s24-ultra", "iphone-15-pro", "orange-pi-5-16gb", "snapdragon-x-elite-laptop"):
        gap = {}
        for prompt in (64, 4096):
            x, engine = speed_input(profs[dev_id], model, pc, fmt, "llamacpp", "cpu", pc.total * 4.5 / 8, 0.0,
                                    Workload(prompt + 128, prompt, 128), kb, cal)
            flags[dev_id] = x.phone
            like = engine.like if engine else []
            off, _ = predict_log(cal.speed_params, "prefill", dataclasses.replace(x, phone=False), like)
            on, _ = predict_log(cal.speed_params, "prefill", dataclasses.replace(x, phone=True), like)
            gap[prompt] = off - on
            if x.phone and prompt == 4096:
                assert "a phone's cpu" in cal.speed("prefill", x, like).basis
        assert gap[4096] > 0.2 and gap[64] < 0.05 and gap[4096] > 5 * gap[64], (dev_id, gap)
    assert flags == {"galaxy-s24-ultra": True, "iphone-15-pro": True, "orange-pi-5-16gb": False,
                     "snapdragon-x-elite-laptop": False}


def test_npu_engines_stream_over_the_npus_own_port(kb, profs):
    """QNN and llama.cpp's Hexagon backend read the weights over the NPU's own path to memory, fitted as a port
    bandwidth per HTP generation and combined with the device's as a soft minimum (Qualcomm's 135 GB/s X Elite, v73,
    decodes QNN 1.15-1.25x faster than the 77 GB/s IQ-9075 with the same HTP; the 152 GB/s X2 Elite, v81, 1.5-2x
    faster than the 85 GB/s Galaxy S26). QNN's port widens with the generation, so a phone's decode gains from a
    doubled bandwidth the more, the newer its NPU; on a generation no row measured (the S24 Ultra's v75 for the
    Hexagon backend) an engine streams at the mean of its measured generations' ports, and the estimate says so. An
    engine without ports of its own that runs QNN's backend (ONNX Runtime's QNN execution provider) streams at QNN's."""
    import dataclasses

    from advisor.architecture import count_params
    from advisor.predict import speed_input
    from advisor.speedmodel import PORT_SCALE, predict_log

    cal = load_calibration()
    ports = cal.speed_params["decode"]["engine_port"]
    assert {k.split("|")[0] for k in ports} == {"llamacpp-npu-hexagon", "qnn-npu"}
    assert all(k.split("|")[1].startswith("htp") for k in ports)
    assert "engine_port" not in cal.speed_params["prefill"]
    qnn = {k.split("|")[1]: PORT_SCALE * math.exp(v) for k, v in ports.items() if k.startswith("qnn-npu|")}
    assert qnn["htp73"] < qnn["htp79"] < qnn["htp81"], qnn
    dev = profs["galaxy-s24-ultra"].model_copy(update={"id": "my-phone"})  # no device offsets
    model, work = kb.models["llama-3.2-3b-instruct"], Workload(4096, 512, 128)
    pc = count_params(model)

    def gain(x, like):
        base, _ = predict_log(cal.speed_params, "decode", x, like)
        wide, _ = predict_log(cal.speed_params, "decode", dataclasses.replace(x, bandwidth_gbs=2 * x.bandwidth_gbs), like)
        return wide - base

    gains = {}
    for backend, quant in (("llamacpp", "Q4_0"), ("qnn", "w4a16")):
        fmt = kb.format(backend, quant)
        x, engine = speed_input(dev, model, pc, fmt, backend, "npu", pc.total * 4.5 / 8, 0.0, work, kb, cal)
        like = engine.like if engine else []
        basis = cal.speed("decode", x, like).basis
        assert "streams the weights over its unit's own port" in basis, x.engine
        assert ("none on this one" in basis) == (f"{x.engine}|{x.arch}" not in ports), basis
        gains[x.engine] = gain(x, like)
        if x.engine == "qnn-npu":
            gains["v73"], gains["v81"] = (gain(dataclasses.replace(x, arch=a), like) for a in ("htp73", "htp81"))
    assert 0.0 < gains["llamacpp-npu-hexagon"] < math.log(2) - 0.25, gains
    assert 0.0 < gains["v73"] < gains["qnn-npu"] < gains["v81"] and gains["v73"] < gains["v81"] - 0.1, gains
    # ONNX Runtime's QNN execution provider runs QNN's HTP backend: it streams at QNN's port, not the bus
    x, engine = speed_input(dev, model, pc, kb.format("olive", "int8"), "olive", "npu", pc.total, 0.0, work, kb, cal)
    assert x.engine == "olive-npu-qnn" and "qnn-npu" in engine.like
    assert "(qnn-npu's port fitted at" in cal.speed("decode", x, engine.like).basis


def test_a_prefill_call_reads_the_weights_once(kb, profs):
    """However short the prompt, a prefill call reads every weight once: the fit spreads one pass over the weights
    (at a shared share of the bandwidth) over the prompt's tokens, next to the launch cost. So a 32-token prompt's
    rate depends on the bandwidth and a 2,048-token one's hardly does, and a short prompt on a big model is slower
    per token than its FLOPs alone say."""
    import dataclasses

    from advisor.architecture import count_params
    from advisor.predict import speed_input
    from advisor.speedmodel import predict_log

    cal = load_calibration()
    log_pass = cal.speed_params["prefill"]["log_pass"]
    assert len(set(log_pass.values())) == 1  # one figure for every unit
    assert 0.2 < math.exp(log_pass["gpu"]) < 1.5  # a share of the bandwidth, not a free fudge
    assert "log_pass" not in cal.speed_params["decode"]
    dev = profs["intel-core-ultra-7-155h-laptop"].model_copy(update={"id": "my-laptop"})  # no device offsets
    model, fmt = kb.models["llama-3.1-8b-instruct"], kb.format("openvino", "int4")
    pc = count_params(model)
    gain = {}
    for prompt in (32, 2048):
        x, engine = speed_input(dev, model, pc, fmt, "openvino", "gpu", pc.total * 4.5 / 8, 0.0,
                                Workload(prompt + 128, prompt, 128), kb, cal)
        like = engine.like if engine else []
        base, _ = predict_log(cal.speed_params, "prefill", x, like)
        wide, _ = predict_log(cal.speed_params, "prefill", dataclasses.replace(x, bandwidth_gbs=2 * x.bandwidth_gbs),
                              like)
        gain[prompt] = wide - base
    assert gain[32] > 0.1 and 0.0 < gain[2048] < gain[32] / 5, gain


def test_a_matrix_engine_gpu_is_told_from_a_vector_one(kb, profs):
    """A GPU's stated FP16 peak is its matrix engines' on NVIDIA (tensor cores), Intel Arc with XMX and AMD RDNA 4,
    its vector units' elsewhere (Apple, Adreno, RDNA 3, the Meteor Lake Arc without XMX); prefill reaches a different
    share of the two, fitted as one GPU factor that a plan's basis names."""
    from advisor.speedmodel import gpu_matrix

    yes = ["NVIDIA GeForce RTX 4090 24GB (AD102, 128 SMs)", "Ampere GPU (1024 CUDA cores, 32 Tensor Cores)",
           "NVIDIA GB10 Blackwell GPU (6144 CUDA cores)", "Intel Arc 140V (8 Xe2-cores)", "Intel Arc 140T (8 Xe-cores)",
           "Intel Arc A770 16GB (32 Xe-cores, 512 EU)", "Intel Arc Pro B70 (Xe2 / Battlemage, 256 XMX engines)",
           "AMD Radeon RX 9070 XT (Navi 48, RDNA 4, 64 CU)"]
    no = ["Intel Arc Graphics (8 Xe-cores, Xe-LPG)", "Intel Iris Xe Graphics (96 EU)", "AMD Radeon 8060S (40 CU RDNA 3.5)",
          "AMD Radeon RX 7900 XTX (Navi 31, RDNA 3, 96 CU)", "Adreno 830", "Apple M4 Max GPU (40-core)", "Mali-G610 MP4",
          ""]
    assert [gpu_matrix(n) for n in yes] == [True] * len(yes)
    assert [gpu_matrix(n) for n in no] == [False] * len(no)
    cal = load_calibration()
    factor = cal.speed_params["prefill"]["log_matrix"]
    assert abs(factor["gpu"]) > 0.1 and factor["cpu"] == pytest.approx(0.0, abs=1e-6)
    assert "log_matrix" not in cal.speed_params["decode"]
    model, work = kb.models["llama-3.1-8b-instruct"], Workload(4096, 1024, 128)
    said = {}
    for dev_id in ("intel-core-ultra-7-258v-laptop", "intel-core-ultra-7-155h-laptop"):
        pred, _ = predict(profs[dev_id], model, "openvino", "gpu", "int4", work, kb, cal)
        said[dev_id] = "matrix-engine GPU" in pred.prefill_tokens_per_s.basis
    assert said == {"intel-core-ultra-7-258v-laptop": True, "intel-core-ultra-7-155h-laptop": False}
