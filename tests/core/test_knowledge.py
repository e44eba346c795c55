"""Every YAML file loads and cross-checks; sources are present; the docs diagram is current."""

from __future__ import annotations

import re

import pytest
import yaml

from advisor import paths
from advisor.knowledge import load_knowledge, load_knowledge_from
from advisor.errors import KnowledgeError
from advisor.resolve import load_profiles

URL = re.compile(r"https?://|measured by")


def test_knowledge_validate_command(cli):
    r = cli("knowledge", "validate", "--json")
    assert r.code == 0, r.err
    d = r.json()
    assert d["ok"] and d["backends"] == 8 and d["models"] >= 20 and d["profiles"] >= 30


def test_profiles_cover_every_class_and_carry_sources():
    profs = load_profiles()
    classes = {p.class_ for p in profs.values()}
    assert classes >= {"apple_silicon", "nvidia_gpu", "nvidia_jetson", "x86_cpu", "arm_sbc", "snapdragon", "intel_npu", "amd_gpu"}
    for p in profs.values():
        assert p.sources and all(URL.search(s) for s in p.sources), p.id


def test_every_quant_format_and_ggml_type_has_a_source():
    kb = load_knowledge()
    for fmt in kb.formats.values():
        assert URL.search(fmt.source), (fmt.backend, fmt.quant)
    for name, t in kb.ggml_types.items():
        assert URL.search(t.source), name
    for rule in [*kb.memory.values(), *kb.igpu_memory.values()]:
        assert rule.source
    assert kb.igpu_memory  # memory.yaml's integrated_gpus reached the knowledge base


def test_spec_quant_ids_all_present():
    kb = load_knowledge()
    spec = {
        "llamacpp": "F16 Q8_0 Q6_K Q5_K_M Q5_K_S Q5_0 Q4_K_M Q4_K_S Q4_0 Q3_K_L Q3_K_M Q3_K_S Q2_K IQ4_XS IQ3_M IQ2_M",
        "mlx": "bf16 8bit 6bit 4bit 3bit 2bit", "openvino": "fp16 int8 int4", "olive": "fp16 int8 int4",
        "qnn": "fp16 w8a16 w8a8 w4a16",
    }
    for backend, ids in spec.items():
        assert kb.backends[backend].quants == ids.split()


def test_models_have_sources_and_plausible_param_counts():
    from advisor.architecture import count_params

    kb = load_knowledge()
    assert len(kb.models) >= 20
    for m in kb.models.values():
        assert m.source and m.source.startswith("https://huggingface.co/")
        if m.params_b:
            assert abs(count_params(m).total / 1e9 / m.params_b - 1) < 0.05, m.id


def test_broken_cross_reference_is_reported(tmp_path):
    for f in paths.KNOWLEDGE_DIR.glob("*.yaml"):
        (tmp_path / f.name).write_text(f.read_text())
    text = (tmp_path / "backends.yaml").read_text().replace("quants: [fp16, int8, int4]\n    python_module: olive",
                                                             "quants: [fp16, int8, int4, int2]\n    python_module: olive")
    (tmp_path / "backends.yaml").write_text(text)
    with pytest.raises(KnowledgeError, match="int2"):
        load_knowledge_from(tmp_path)


def test_unknown_key_in_knowledge_names_file_and_key(tmp_path):
    for f in paths.KNOWLEDGE_DIR.glob("*.yaml"):
        (tmp_path / f.name).write_text(f.read_text())
    d = yaml.safe_load((tmp_path / "memory.yaml").read_text())
    d["classes"]["default"]["colour"] = "blue"
    (tmp_path / "memory.yaml").write_text(yaml.safe_dump(d))
    with pytest.raises(KnowledgeError, match=r"memory.yaml: classes.default.colour: unknown key"):
        load_knowledge_from(tmp_path)


def test_decision_tree_doc_is_generated_from_yaml():
    from advisor.cli.knowledge_cmd import tree_with_evidence
    from advisor.mermaid import tree_markdown

    doc = (paths.ROOT / "docs" / "decision-tree.md").read_text()
    assert doc == tree_markdown(*tree_with_evidence()), "run: advisor knowledge diagram > docs/decision-tree.md"
    assert "x llama.cpp CPU" in doc and "qnn-npu" in doc


def test_cli_reference_is_generated_from_help():
    from advisor.docgen import cli_reference

    doc = (paths.ROOT / "docs" / "cli.md").read_text()
    assert doc == cli_reference(), "run: python -m advisor.docgen > docs/cli.md"


def test_spec_example_profile_validates_as_written():
    from advisor.schemas import DeviceProfile

    spec = """
id: raspberry-pi-5-8gb
name: Raspberry Pi 5 (8 GB)
class: arm_sbc
os: [linux]
cpu:
  arch: arm64
  cores: 4
  features: [neon, dotprod]
memory:
  total_gb: 8
  bandwidth_gbs: 17.1
  unified: true
accelerators:
  - kind: gpu
    vendor: apple
    api: [metal]
    memory_gb: null
    bandwidth_gbs: null
    tflops_fp16: 3.6
    tops_int8: null
sources: [https://...]
"""
    p = DeviceProfile.model_validate(yaml.safe_load(spec))
    assert p.class_ == "arm_sbc" and p.accelerators[0].tflops_fp16 == 3.6
