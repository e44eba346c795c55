"""One test per sourced fact the advisor's knowledge states (issue 11): memory limits, runtime buffers, which
routes the tree admits on which hardware, active parameters. Each cites where the fact comes from."""

from __future__ import annotations

import pytest

from advisor.architecture import count_params
from advisor.calibration import load_calibration
from advisor.decide import decide
from advisor.planner import make_plan
from advisor.schemas import Constraints


def routes(kb, profs, device, model="llama-3.2-1b-instruct"):
    dec = decide(profs[device], kb.models[model], Constraints(), kb)
    return {(r.backend, r.compute): r for r in dec.routes}, dec


# ------------------------------------------------------------------ memory
@pytest.mark.parametrize("gib, usable", [(8, 5.33), (16, 10.67), (32, 21.33), (64, 48.0), (96, 72.0)])
def test_apple_usable_memory_is_metals_working_set(kb, gib, usable):
    # recommendedMaxWorkingSetSize: 10922.67 MiB on 16 GB (llama-cpp-python#687), 21845.34 MB on 32 GB
    # (ollama#434), 49152 MiB on 64 GB (llama.cpp#1870), 73728 MB on 96 GB (llama.cpp#3213)
    assert kb.usable_gib("apple_silicon", gib) == pytest.approx(usable, abs=0.01)


def test_8b_q8_0_plan_on_16gb_mac_uses_the_two_thirds_limit(kb, profs):
    cons = Constraints(backend=["llamacpp"], context=20480)
    plan = make_plan(profs["apple-m2-16gb"], kb.models["llama-3.1-8b-instruct"], cons, kb, load_calibration())
    q8 = next(c for c in plan.candidates if c.quant == "Q8_0" and c.compute == "gpu")
    # ~7.95 GiB weights + 2.5 GiB KV at 20k tokens: under 12 GiB (3/4) but over the 10.67 GiB Metal allows
    assert 10.67 < q8.peak_memory_gib.value < 12.0
    assert not q8.feasible and any("10.67 GiB usable" in v for v in q8.violations)


def test_8b_q8_0_does_not_fit_an_8gb_mac(kb, profs):
    plan = make_plan(profs["apple-m1-8gb"], kb.models["llama-3.1-8b-instruct"], Constraints(backend=["llamacpp"]),
                     kb, load_calibration())
    q8 = next(c for c in plan.candidates if c.quant == "Q8_0" and c.compute == "gpu")
    assert any("5.33 GiB usable" in v for v in q8.violations)


def test_an_intel_igpu_route_is_held_to_the_share_of_ram_its_driver_maps(kb, profs):
    # Intel: "The default value is 57%" of system RAM as GPU memory (support article 000101789). OpenVINO's published
    # 268V runs (32 GB) decode Llama-3-8B FP16 (15 GB) at 5.8 tok/s and Phi-3-medium FP16 (28 GB) at 0.44 tok/s.
    dev = profs["intel-core-ultra-7-258v-laptop"]
    cons = Constraints(backend=["openvino"], context=32768)
    plan = make_plan(dev, kb.models["llama-3.1-8b-instruct"], cons, kb, load_calibration())
    by = {(c.compute, c.quant): c for c in plan.candidates}
    gpu_fp16, cpu_fp16, gpu_int8 = by[("gpu", "fp16")], by[("cpu", "fp16")], by[("gpu", "int8")]
    # ~15 GiB of weights + 4 GiB of KV cache: inside the 28.1 GiB the CPU route may use, past the GPU's 18.24
    assert 18.24 < gpu_fp16.peak_memory_gib.value < kb.usable_gib(dev.class_, 32) == pytest.approx(28.1)
    assert not gpu_fp16.feasible and cpu_fp16.feasible
    assert any("18.24 GiB usable by the integrated GPU (57% of RAM" in v and "Shared GPU Memory Override raises it" in v
               for v in gpu_fp16.violations)
    assert gpu_int8.feasible


def test_llamacpp_compute_buffer_matches_llamacpp_own_log(kb):
    # llama-context.cpp reserves n_ubatch (512) rows of logits and hidden state: for Llama-3.2-1B
    # (vocab 128256, hidden 2048) llama.cpp logs "CPU compute buffer size = 254.50 MiB"; output buffer 0.49 MiB.
    rt = kb.backends["llamacpp"].runtime_overhead
    gib, _ = rt.gib(128256, 2048)
    assert (gib - rt.base_gib) * 1024 == pytest.approx(254.50 + 0.49, abs=0.01)


# ------------------------------------------------------------------ routes
def test_adreno_opencl_route_admits_only_what_the_opencl_backend_runs(kb, profs):
    # docs/backend/OPENCL.md: Q4_0, Q8_0, Q6_K (not optimised), MXFP4; K-quants are a to-do
    r, _ = routes(kb, profs, "galaxy-s24-ultra")
    assert set(r[("llamacpp", "gpu")].quants) == {"Q4_0", "Q8_0", "Q6_K"}
    assert "OpenCL" in r[("llamacpp", "gpu")].reason


def test_adreno_route_is_labelled_opencl_not_vulkan(kb, profs):
    from advisor.engines import engine_id

    assert engine_id(kb.engines, profs["galaxy-s24-ultra"], "llamacpp", "gpu") == "llamacpp-gpu-opencl"
    assert engine_id(kb.engines, profs["x86-laptop-avx2"], "llamacpp", "gpu") == "llamacpp-gpu-vulkan"


def test_llamacpp_hexagon_route_on_snapdragon_npu(kb, profs):
    # ggml-hexagon's supported_mul_mat: Q4_0, Q8_0, MXFP4
    r, _ = routes(kb, profs, "galaxy-s24-ultra")
    assert set(r[("llamacpp", "npu")].quants) == {"Q4_0", "Q8_0"}
    assert "Hexagon" in r[("llamacpp", "npu")].reason


@pytest.mark.parametrize("device", ["galaxy-s23-ultra", "galaxy-s24-ultra", "galaxy-s25-ultra", "snapdragon-x-elite-laptop"])
def test_onnxruntime_qnn_ep_route_on_android_and_windows(kb, profs, device):
    # onnxruntime-android-qnn (Maven) and the QNN EP docs: Android and Windows
    r, _ = routes(kb, profs, device)
    assert ("olive", "npu") in r


def test_mlx_runs_on_nvidia_under_linux(kb, profs):
    # https://ml-explore.github.io/mlx/build/html/install.html: pip install mlx[cuda12]
    linux_nv = next(p for p in profs.values() if p.class_ in ("nvidia_gpu", "nvidia_jetson") and p.os == ["linux"])
    r, _ = routes(kb, profs, linux_nv.id)
    assert ("mlx", "gpu") in r


def test_no_reason_says_mlx_is_apple_only(kb):
    texts = [x.reason for b in kb.tree.branches for x in [*b.admit, *b.reject]]
    assert not any("MLX runs on Apple Silicon only" in t for t in texts)


def test_onnxruntime_webgpu_route_on_macos(kb, profs):
    r, _ = routes(kb, profs, "apple-m2-16gb")
    assert ("olive", "gpu") in r and "WebGPU" in r[("olive", "gpu")].reason


# ------------------------------------------------------------------ parameters and formats
def test_moe_active_parameters_count_one_embedding_row(kb):
    # OpenAI's gpt-oss model card: 3.61 B active of 20.91 B (the unembedding counts, the embedding table does not)
    pc = count_params(kb.models["gpt-oss-20b"])
    assert pc.active / 1e9 == pytest.approx(3.61, abs=0.02)


def test_iq2_m_embedding_and_output_types_follow_llama_quant(kb):
    fmt = kb.format("llamacpp", "IQ2_M")
    assert (fmt.embd_type, fmt.output_type) == ("iq3_s", "q5_K")
