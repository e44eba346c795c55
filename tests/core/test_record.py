"""advisor/record.py: records validate exactly as pydantic would. The exact checker (`record_check.fast_record`) may leave input to
pydantic, but whatever it accepts must be what pydantic returns, and it must never accept what pydantic refuses."""

from __future__ import annotations

import math
import pickle
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from advisor import record, record_check
from advisor.calibration import load_calibration
from advisor.energy_data import EnergyFile, WorkloadsFile
from advisor.engines import EnginesFile
from advisor.knowledge import CpuIsa, DecisionTree, MemoryFile, ModelsFile, QuantFile
from advisor.paths import KNOWLEDGE_DIR, PROFILES_DIR
from advisor.planner import make_plan
from advisor.plain import plain
from advisor.registry import BackendsFile
from advisor.schemas import Constraints, Cpu, DeviceProfile, Estimate, ModelSpec, Plan, Power
from advisor.yamlio import read_data
from guards import HANG_S

FILES = {"backends.yaml": BackendsFile, "quant_formats.yaml": QuantFile, "decision_tree.yaml": DecisionTree,
         "models.yaml": ModelsFile, "memory.yaml": MemoryFile, "engines.yaml": EnginesFile, "cpu_isa.yaml": CpuIsa,
         "energy.yaml": EnergyFile, "workloads.yaml": WorkloadsFile}


def by_pydantic(cls, data):
    return record.from_twin(record.twin(cls).model_validate(record.to_twin(data)))


def outcome(fn):
    try:
        return fn()
    except ValidationError:
        return "refused"


def test_every_shipped_file_is_vouched_for_and_equals_pydantics_reading():
    """The snapshot's inputs take the checker's path (so a plan needs no pydantic), with pydantic's very values."""
    checked = 0
    for name, cls in FILES.items():
        data = read_data(KNOWLEDGE_DIR / name)
        fast = record_check.fast_record(cls, data)
        assert fast is not record.MISSING, f"{name}: the checker left it to pydantic"
        assert fast == by_pydantic(cls, data), name
        checked += 1
    for path in sorted(PROFILES_DIR.glob("*.yaml")):
        data = read_data(path)
        fast = record_check.fast_record(DeviceProfile, data)
        assert fast is not record.MISSING, f"{path.name}: the checker left it to pydantic"
        assert fast == by_pydantic(DeviceProfile, data), path.name
        checked += 1
    assert checked >= len(FILES) + 10


def test_plans_read_back_the_same_both_ways(kb, profs):
    cal = load_calibration()
    for dev in list(profs.values())[:6]:
        plan = make_plan(dev, kb.models["llama-3.2-1b-instruct"], Constraints(prompt_tokens=2000), kb, cal)
        data = plain(plan)
        fast = record_check.fast_record(Plan, data)
        slow = by_pydantic(Plan, data)
        assert slow == plan
        assert fast is record.MISSING or fast == slow, dev.id


VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                   st.text(max_size=8), st.sampled_from(["5", "1e3", "balanced", "speed", "linux", "llamacpp",
                                                         "chat", "Chat", "a\n", "x-y", " 2 "]),
                   st.lists(st.sampled_from(["llamacpp", "mlx", "qnn", "x", 1]), max_size=3),
                   st.dictionaries(st.sampled_from(["cpu", "gpu", "x"]), st.floats(0, 2), max_size=2))


def _same_outcome(cls, data):
    want = outcome(lambda: by_pydantic(cls, data))
    fast = record_check.fast_record(cls, data)
    if fast is not record.MISSING:
        assert want != "refused", f"checker accepted what pydantic refuses: {data}"
        assert fast == want and plain(fast) == plain(want), data
        for name in cls.__record_fields__:  # same types too (5 -> 5.0 where pydantic makes a float)
            assert type(getattr(fast, name)) is type(getattr(want, name)), (name, data)
    assert outcome(lambda: cls.model_validate(data)) == want


NAN, INF = float("nan"), float("inf")
EDGES = [(Constraints, d) for d in (
    {"workload": "a\n"}, {"workload": "chat"}, {"workload": "Chat"}, {"context": True}, {"context": 5.0},
    {"context": "5"}, {"context": 0}, {"max_memory_gb": NAN}, {"max_memory_gb": INF}, {"max_memory_gb": 0},
    {"max_memory_gb": 1}, {"min_decode_tps": 0}, {"backend": ["llamacpp", "llamacpp"]}, {"backend": []},
    {"backend": ("llamacpp",)}, {"priority": "Speed"}, {"os": "linux"}, {"os": ["linux"]}, {"class": 1})] + [
    (Estimate, d) for d in (
        {"value": NAN, "low": 0, "high": 1}, {"value": 1, "low": 1, "high": 1}, {"value": 1, "low": 0, "high": INF},
        {"value": "1", "low": 0, "high": 2}, {"value": 1, "low": 0, "high": 2, "rows": -1},
        {"value": 1, "low": 0, "high": 2, "rows": 2.0}, {"value": 1, "low": 0, "high": 2, "evidence": "proxy"},
        {"value": 1, "low": 0, "high": 2, "evidence": "guess"}, {"value": 1, "low": 0}, {"value": 1, "low": 0,
                                                                                        "high": 2, "basis": 3})] + [
    (Power, d) for d in ({"sources": ["s"], "sustained": 0.5}, {"sources": ["s"], "sustained": 1},
                         {"sources": ["s"], "sustained": 1.5}, {"sources": ["s"], "sustained": {"cpu": 0.5}},
                         {"sources": ["s"], "sustained": {"cpu": 2}}, {"sources": [" "]}, {"sources": []},
                         {"sources": ["s"], "active_w": {"gpu": True}}, {"sources": ["s"], "active_w": {"npu": 0.05}})]


@pytest.mark.parametrize("cls, data", EDGES)
def test_edges_agree_with_pydantic(cls, data):
    _same_outcome(cls, data)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*Constraints.__record_fields__, "nope"]), VALUES, max_size=6))
def test_constraints_checker_agrees_with_pydantic(data):
    _same_outcome(Constraints, data)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["value", "low", "high", "basis", "evidence", "rows"]), VALUES, max_size=6),
       st.floats(-5, 5), st.floats(0, 5))
def test_estimate_checker_agrees_with_pydantic(data, mid, spread):
    _same_outcome(Estimate, data)
    _same_outcome(Estimate, {"value": mid, "low": mid - spread, "high": mid + spread, **data})


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["arch", "cores", "features", "model", "freq_ghz", "threads", "extra"]),
                       VALUES, max_size=5),
       st.sampled_from(["arm64", "x86_64"]), st.integers(-2, 300))
def test_nested_and_validated_fields_agree_with_pydantic(data, arch, cores):
    _same_outcome(Cpu, {"arch": arch, "cores": cores, **data})
    _same_outcome(Power, {"sources": ["s"], **{k: v for k, v in data.items() if k in ("model", "cores")},
                          "sustained": data.get("freq_ghz"), "active_w": data.get("features") or {}})


def test_errors_are_pydantics_under_the_record_name():
    with pytest.raises(ValidationError, match="1 validation error for Estimate"):
        Estimate(value=3, low=0.5, high=2)
    with pytest.raises(ValidationError, match="extra_forbidden"):
        Constraints.model_validate({"context": 10, "contxt": 1})
    with pytest.raises(ValidationError):
        ModelSpec(id="m", architecture="llama", hidden_size=10, intermediate_size=10, num_hidden_layers=1,
                  num_attention_heads=3, vocab_size=10)


def test_a_record_is_a_frozen_value_that_pickles():
    e = Estimate(value=1, low=0.5, high=2, evidence="engine", rows=3)
    assert e.value == 1.0 and type(e.value) is float
    with pytest.raises(TypeError, match="frozen"):
        e.value = 2  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(e)) == e and hash(pickle.loads(pickle.dumps(e))) == hash(e)
    assert e.model_copy(update={"rows": 4}).rows == 4 and e.rows == 3
    assert Estimate.model_construct(value=1.0, low=1.0, high=1.0).basis is None
    assert e.model_dump() == {"value": 1.0, "low": 0.5, "high": 2.0, "basis": None, "evidence": "engine", "rows": 3}
    assert list(Estimate.model_fields) == ["value", "low", "high", "basis", "evidence", "rows"]
    assert Plan.field_types()["candidates"].__args__[0].field_types()["ttft_s"].__args__[0] is Estimate
    assert Estimate.model_json_schema()["title"] == "Estimate"
    assert e != Estimate(value=1, low=0.5, high=2) and repr(e).startswith("Estimate(value=1.0")


def test_aliases_and_defaults():
    data = read_data(PROFILES_DIR / "raspberry-pi-5-8gb.yaml")
    dev = DeviceProfile.model_validate(data)
    assert dev.class_ == data["class"]
    assert DeviceProfile.model_validate({**{k: v for k, v in data.items() if k != "class"}, "class_": data["class"]}) \
        == dev
    assert plain(dev)["class"] == data["class"] and "class_" not in plain(dev)
    a = Constraints()
    b = Constraints()
    assert a.context == 4096 and a == b and math.isclose(a.prompt_tokens, 512)


def test_validation_error_is_caught_without_importing_pydantic():
    code = ("import sys\n"
            "from advisor.record import validation_error\n"
            "from advisor.schemas import Estimate\n"
            "try:\n"
            "    raise ValueError('x')\n"
            "except validation_error():\n"
            "    print('wrong')\n"
            "except ValueError:\n"
            "    print('pydantic' in sys.modules)\n"
            "Estimate(value=1, low=0, high=2)\n"
            "print('pydantic' in sys.modules)\n"
            "try:\n"
            "    Estimate(value=3, low=0, high=2)\n"
            "except validation_error() as exc:\n"
            "    print(type(exc).__name__)\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=HANG_S)
    assert p.stdout.split() == ["False", "False", "ValidationError"], p.stdout + p.stderr[-2000:]
