"""Energy counters: read where Linux exposes RAPL, a plain reason where it does not (no mocks of the kernel: a
powercap-shaped folder on disk is read through the same code, as a machine with RAPL would present it)."""

from __future__ import annotations

from pathlib import Path

from advisor.probe import rapl


def _domain(root: Path, name: str, uj: int, rng: int = 262143328850) -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "energy_uj").write_text(f"{uj}\n")
    (d / "max_energy_range_uj").write_text(f"{rng}\n")
    return d


def test_this_machine_says_plainly_whether_it_has_counters():
    why = rapl.reason()
    if why is None:
        assert rapl.read()
    else:
        assert "energy" in why or "RAPL" in why
        assert rapl.read() == {}


def test_missing_folder_is_a_reason_not_an_error(tmp_path):
    assert "does not exist" in rapl.reason(tmp_path / "nope")
    assert rapl.read(tmp_path / "nope") == {}
    assert rapl.joules({}, {}) is None


def test_packages_are_summed_and_subzones_ignored(tmp_path):
    _domain(tmp_path, "intel-rapl:0", 1_000_000)
    _domain(tmp_path, "intel-rapl:1", 2_000_000)
    _domain(tmp_path, "intel-rapl:0:0", 5_000_000)  # a core sub-zone: inside package 0, not counted twice
    assert rapl.reason(tmp_path) is None
    before = rapl.read(tmp_path)
    assert set(before) == {"intel-rapl:0", "intel-rapl:1"}
    (tmp_path / "intel-rapl:0" / "energy_uj").write_text("3000000\n")
    (tmp_path / "intel-rapl:1" / "energy_uj").write_text("2500000\n")
    assert rapl.joules(before, rapl.read(tmp_path)) == 2.5


def test_counter_wraparound(tmp_path):
    _domain(tmp_path, "intel-rapl:0", 990, rng=1000)
    before = rapl.read(tmp_path)
    (tmp_path / "intel-rapl:0" / "energy_uj").write_text("10\n")
    assert abs(rapl.joules(before, rapl.read(tmp_path)) - 20e-6) < 1e-12


def test_garbage_counter_is_skipped(tmp_path):
    d = _domain(tmp_path, "intel-rapl:0", 1)
    (d / "energy_uj").write_text("not a number\n")
    assert rapl.read(tmp_path) == {}
