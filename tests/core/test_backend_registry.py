"""The backend registry (knowledge/backends.yaml): one entry per backend, read by everything else."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from advisor import paths
from advisor.knowledge import Backend, load_knowledge, registry_problems
from advisor.schemas import BACKEND_IDS

CORE = ("decide", "predict", "rank", "planner", "calibration", "fit")


def test_every_registered_backend_imports_and_has_its_templates(kb):
    assert registry_problems(kb) == []
    for b in kb.backends.values():
        if b.probe is not None:  # imports its module (heavy libraries load lazily inside convert/load)
            mod = importlib.import_module(b.probe.module)
            assert callable(mod.convert) and callable(mod.load), b.id
        assert (paths.PACKAGE_DIR / "templates" / b.emit.templates / "README.md.j2").is_file()


def test_schema_ids_are_the_registry_ids(kb):
    assert tuple(kb.backends) == BACKEND_IDS


def test_no_core_module_branches_on_a_backend_id():
    ids = "|".join(BACKEND_IDS)
    pat = re.compile(rf"""["']({ids})["']""")
    for name in CORE:
        text = (paths.PACKAGE_DIR / f"{name}.py").read_text(encoding="utf-8")
        assert not pat.search(text), f"advisor/{name}.py names a backend id: {pat.search(text).group(0)}"


def test_entry_forbids_unknown_keys(kb):
    entry = kb.backends["llamacpp"].model_dump()
    with pytest.raises(ValueError, match="extra"):
        Backend.model_validate({**entry, "colour": "blue"})


def test_validate_names_a_missing_probe_module_and_template(kb):
    b = kb.backends["mlx"]
    broken = b.model_copy(update={
        "probe": b.probe.model_copy(update={"module": "advisor.probe.backends.nothing_here"}),
        "emit": b.emit.model_copy(update={"templates": "nothing-here"}),
    })
    bad = kb.model_copy(update={"backends": {**kb.backends, "mlx": broken}})
    problems = registry_problems(bad)
    assert any("advisor.probe.backends.nothing_here does not exist" in p for p in problems)
    assert any("advisor/templates/nothing-here/README.md.j2 does not exist" in p for p in problems)


def test_probe_tables_read_the_registry(kb):
    from advisor.probe.backends import missing_module, probed_backends
    from advisor.probe.env import dists
    from advisor.probe.spec import canonical, probe_quants

    assert set(probed_backends()) == {b.id for b in kb.backends.values() if b.probe}
    assert canonical("llamacpp", "q4_k_m") == "Q4_K_M" and canonical("llamacpp", "int4") is None
    assert probe_quants("qnn") == ("W8A16", "W8A8")
    assert "llama-cpp-python" in dists() and "torch" in dists()
    for b in probed_backends():
        missing_module(b)  # answers for every registered probe (None or a module name), never raises


def test_registry_ids_are_read_without_yaml(tmp_path: Path):
    text = (paths.KNOWLEDGE_DIR / "backends.yaml").read_text(encoding="utf-8")
    assert tuple(re.findall(r"(?m)^  - id: ([a-z0-9]+)\s*$", text)) == tuple(load_knowledge().backends)
