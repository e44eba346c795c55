"""`advisor plan --emit-scripts`: folder layout, atomic writes, --force, static checks, --dry-run, hostile values."""

from __future__ import annotations

import json
import os
import py_compile
import shutil
import subprocess
from pathlib import Path

import pytest
from emit_helpers import DEVICES, HOSTILE, make_plan_for, no_pwned, one_per_backend, run_script

from advisor.emit import emit_plan_scripts
from advisor.errors import InputError

BACKENDS = list(DEVICES)


@pytest.fixture(scope="module")
def plans():
    return {b: one_per_backend(make_plan_for(d), b) for b, d in DEVICES.items()}


@pytest.fixture(scope="module")
def emitted(plans, tmp_path_factory) -> dict[str, Path]:
    """One folder per backend, emitted under a parent folder whose name has a space."""
    root = tmp_path_factory.mktemp("emit") / "my scripts"
    out = {}
    for b, plan in plans.items():
        res = emit_plan_scripts(plan, root / b)
        out[b] = Path(res.candidates[0].script)
    return out


def test_cli_writes_one_folder_per_candidate(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = cli("plan", "--device", "raspberry-pi-5-8gb", "--model", "llama-3.2-1b-instruct", "--emit-scripts", "out/",
            "--json")
    assert r.code == 0, r.err
    cands = r.json()["candidates"]
    folders = sorted(p for p in (tmp_path / "out").iterdir() if p.is_dir())
    assert len(folders) == len(cands) > 0
    assert folders[0].name == f"01-{cands[0]['backend']}-{cands[0]['quant']}-{cands[0]['compute']}"
    for c, f in zip(cands, folders):
        assert Path(c["script"]).resolve() == f.resolve()
        assert (f / "README.md").read_text().startswith("# ")
        assert os.access(f / "run.sh", os.X_OK)
        settings = json.loads((f / "settings.json").read_text())
        assert settings["predicted"]["weights_gib"] == c["weights_gib"]
    assert "01-" in (tmp_path / "out" / "README.md").read_text()


def test_existing_folder_needs_force(cli, tmp_path):
    out = tmp_path / "out"
    argv = ["plan", "-d", "raspberry-pi-5-8gb", "-m", "llama-3.2-1b-instruct", "--emit-scripts", str(out)]
    assert cli(*argv).code == 0
    r = cli(*argv)
    assert r.code == 2 and "--force" in r.err
    r = cli(*argv, "--force")  # a folder an earlier --emit-scripts wrote: replaced
    assert r.code == 0, r.err
    assert (out / "README.md").exists() and (out / ".advisor-scripts.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temp folders left beside it


def test_empty_folder_is_used_without_force(tmp_path):
    plan = make_plan_for("raspberry-pi-5-8gb")
    (tmp_path / "out").mkdir()
    emit_plan_scripts(plan, tmp_path / "out")
    assert (tmp_path / "out" / "README.md").exists()


def test_failure_midway_leaves_nothing(tmp_path, monkeypatch):
    import advisor.atomic

    plan = make_plan_for("raspberry-pi-5-8gb")
    calls = {"n": 0}
    real = advisor.atomic.write_text_atomic

    def flaky(path, text, mode=None):
        calls["n"] += 1
        if calls["n"] == 20:
            raise OSError(28, "No space left on device")
        return real(path, text, mode)

    monkeypatch.setattr(advisor.atomic, "write_text_atomic", flaky)
    with pytest.raises(OSError):
        emit_plan_scripts(plan, tmp_path / "new")
    assert list(tmp_path.iterdir()) == []
    # with --force over a folder an earlier emit wrote: the old folder survives a failure untouched
    old = tmp_path / "old"
    monkeypatch.setattr(advisor.atomic, "write_text_atomic", real)
    emit_plan_scripts(plan, old)
    before = sorted(p.relative_to(old).as_posix() for p in old.rglob("*"))
    monkeypatch.setattr(advisor.atomic, "write_text_atomic", flaky)
    calls["n"] = 0
    with pytest.raises(OSError):
        emit_plan_scripts(plan, old, force=True)
    assert [p.name for p in tmp_path.iterdir()] == ["old"]
    assert sorted(p.relative_to(old).as_posix() for p in old.rglob("*")) == before


def test_target_that_is_a_file_is_an_input_error(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        emit_plan_scripts(make_plan_for("raspberry-pi-5-8gb"), tmp_path / "f", force=True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_scripts_pass_static_checks(emitted, backend, tmp_path):
    folder = emitted[backend]
    names = {p.name for p in folder.iterdir()}
    assert {"run.sh", "README.md", "settings.json", "report.py"} <= names
    subprocess.run(["bash", "-n", str(folder / "run.sh")], check=True)
    for py in folder.glob("*.py"):
        py_compile.compile(str(py), doraise=True, cfile=str(tmp_path / (py.name + "c")))
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (apt-get install -y shellcheck)")
    r = subprocess.run(["shellcheck", "-S", "style", str(folder / "run.sh")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


@pytest.mark.parametrize("backend", BACKENDS)
def test_dry_run_prints_commands_and_keeps_hostile_path_inert(emitted, backend, tmp_path):
    folder = emitted[backend]
    model = tmp_path / HOSTILE
    model.mkdir()
    (model / "config.json").write_text("{}")
    r = run_script(folder, "--dry-run", str(model), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    shown = [line for line in r.stdout.splitlines() if line.startswith("+ ")]
    assert len(shown) >= 2, r.stdout
    assert "dry run: nothing was executed" in r.stderr
    assert not (folder / "out").exists() and not (folder / "logs").exists()
    no_pwned(tmp_path, folder)
    # the printed commands are valid shell that hands the path over as one word
    assert any(HOSTILE not in line and "my\\ model" in line for line in shown), shown


def test_hostile_profile_values_are_quoted(tmp_path):
    """Profile and model names reach shell scripts only through shlex.quote (even in comments)."""
    evil = "Phone $(touch PWNED) `touch PWNED`; touch PWNED\ntouch PWNED #"
    for backend, device in DEVICES.items():
        plan = one_per_backend(make_plan_for(device), backend)
        plan = plan.model_copy(update={"device": plan.device.model_copy(update={"name": evil}),
                                       "model": plan.model.model_copy(update={"name": evil})})
        folder = Path(emit_plan_scripts(plan, tmp_path / backend).candidates[0].script)
        subprocess.run(["bash", "-n", str(folder / "run.sh")], check=True)
        model = tmp_path / "m"
        model.mkdir(exist_ok=True)
        r = run_script(folder, "--dry-run", "--help", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        r = run_script(folder, "--dry-run", str(model), cwd=tmp_path)
        assert r.returncode == 0, (backend, r.stderr)
    no_pwned(tmp_path)


def test_qnn_without_token_stops_before_any_network_call(emitted, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    model = tmp_path / "m"
    model.mkdir()
    r = run_script(emitted["qnn"], str(model), cwd=tmp_path,
                   env={"HOME": str(home), "QAIHUB_CLIENT_INI": ""})
    assert r.returncode in (3, 4), r.stderr
    assert "no Qualcomm AI Hub token" in r.stderr and "qai-hub configure --api_token" in r.stderr
    assert not (emitted["qnn"] / "logs").exists()


def test_bad_arguments_are_usage_errors(emitted, tmp_path):
    folder = emitted["llamacpp"]
    for args in (["--threads", "four", "m"], ["--bogus", "m"], [], ["a", "b"], ["--ctx"]):
        r = run_script(folder, "--dry-run", *args, cwd=tmp_path)
        assert r.returncode == 2, (args, r.stderr)


def test_llamacpp_settings_follow_the_candidate(tmp_path):
    plan = make_plan_for("galaxy-s24-ultra")
    gpu = next(c for c in plan.candidates if c.backend == "llamacpp" and c.compute == "gpu")
    cpu = next(c for c in plan.candidates if c.backend == "llamacpp" and c.compute == "cpu")
    res = emit_plan_scripts(plan.model_copy(update={"candidates": [gpu, cpu]}), tmp_path / "o")
    g, c = (Path(x.script) for x in res.candidates)
    assert "NGL=99" in (g / "run.sh").read_text() and "NGL=0" in (c / "run.sh").read_text()
    assert f"THREADS={plan.device.cpu.cores}" in (c / "run.sh").read_text()
    assert f"CTX={plan.constraints.context}" in (c / "run.sh").read_text()
    readme = (g / "README.md").read_text()
    e = gpu.decode_tokens_per_s
    assert f"{e.value:.3g}" in readme and f"{e.low:.3g}" in readme and "80 %" in readme


def test_openvino_npu_is_symmetric_and_olive_targets_the_provider(tmp_path):
    plan = make_plan_for("intel-core-ultra-7-155h-laptop")
    npu = next(c for c in plan.candidates if c.backend == "openvino" and c.compute == "npu")
    olive = next(c for c in plan.candidates if c.backend == "olive")
    res = emit_plan_scripts(plan.model_copy(update={"candidates": [npu, olive]}), tmp_path / "o")
    ov, ol = (Path(x.script) for x in res.candidates)
    s = json.loads((ov / "settings.json").read_text())["openvino"]
    assert s["sym"] is True and s["device"] == "NPU"
    cfg = json.loads((ol / "olive_config.json").read_text())
    eps = cfg["systems"]["local_system"]["accelerators"][0]["execution_providers"]
    assert eps == ["OpenVINOExecutionProvider"]
    assert (ol / "olive_config.cpu.json").exists()
