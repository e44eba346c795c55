"""Start-up: commands are imported on first use, and the knowledge base is read from a snapshot that any change to
its sources invalidates (advisor/snapshot.py). Timing itself lives in benchmarks/plan_latency.py."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import click

import advisor.cli as cli_pkg
from advisor import snapshot
from advisor.knowledge import load_knowledge_from
from guards import HANG_S

ROOT = Path(__file__).resolve().parents[2]


def test_every_command_module_is_in_the_lazy_table():
    """A command added to a *_cmd.py module but not to COMMAND_MODULES would be invisible: the table must match."""
    found = {}
    for info in pkgutil.iter_modules(cli_pkg.__path__):
        if info.name.endswith("_cmd"):
            for cmd in importlib.import_module(f"advisor.cli.{info.name}").COMMANDS:
                found[cmd.name] = info.name
    assert found == cli_pkg.COMMAND_MODULES
    assert set(cli_pkg.cli.load_all()) == set(found)


def _modules_after(*argv: str, env: dict | None = None) -> set[str]:
    code = ("import sys\n"
            "from advisor.cli import main\n"
            "rc = main(sys.argv[1:])\n"
            "sys.stderr.write('\\nMODULES ' + ' '.join(sorted(sys.modules)) + '\\n'); raise SystemExit(rc)")
    p = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, **(env or {})}, timeout=HANG_S)
    assert p.returncode == 0, p.stderr[-2000:]
    return set(p.stderr.rsplit("MODULES ", 1)[1].split())


def test_plan_imports_neither_the_other_commands_nor_numpy(tmp_path):
    env = {"ADVISOR_CACHE_DIR": str(tmp_path / "cache")}
    _modules_after("plan", "-d", "raspberry-pi-5-8gb", "-m", "llama-3.2-1b-instruct", "--json", env=env)  # build
    mods = _modules_after("plan", "-d", "raspberry-pi-5-8gb", "-m", "llama-3.2-1b-instruct", "--json", env=env)
    assert "advisor.cli.plan_cmd" in mods
    heavy = {"advisor.cli.tui_cmd", "advisor.cli.sweep_cmd", "advisor.cli.probe_cmd", "textual", "numpy", "ray",
             "matplotlib", "importlib.metadata"}
    assert not heavy & mods, sorted(heavy & mods)


def test_plan_without_stored_probes_skips_sqlite_platformdirs_and_pydantic(tmp_path):
    """No probe stored yet: nothing to import to read the store; Linux's folders without platformdirs; and no
    pydantic at all: the knowledge comes from its snapshot, and the few records a plan builds (its constraints,
    estimates) are vouched for by advisor/record_check.py."""
    env = {"ADVISOR_CACHE_DIR": str(tmp_path / "cache"), "ADVISOR_DATA_DIR": str(tmp_path / "data")}
    argv = ("plan", "-d", "raspberry-pi-5-8gb", "-m", "llama-3.2-1b-instruct", "--json")
    _modules_after(*argv, env=env)  # builds the snapshots
    for extra in ((), ("--prompt-tokens", "2000", "--min-decode-tps", "5", "--priority", "speed", "--backend", "llamacpp")):
        mods = _modules_after(*argv, *extra, env=env)
        unwanted = {"sqlite3", "logging", "advisor.probe.store", "pydantic", "pydantic_core", "yaml"} | (
            {"platformdirs"} if sys.platform == "linux" else set())
        assert not unwanted & mods, (extra, sorted(unwanted & mods))


def _run_py(code: str, env: dict) -> str:
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=HANG_S,
                       env={k: v for k, v in {**os.environ, **env}.items() if v is not None})
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout.strip()


_VALIDATE = ("import sys\n"
             "from advisor.cli.quickstart import skip_pydantic_plugin_scan\n"
             "shortcut = skip_pydantic_plugin_scan()\n"
             "from pydantic import BaseModel\n"
             "class M(BaseModel):\n"
             "    x: int\n"
             "assert M.model_validate({'x': '3'}).x == 3\n"
             "print(shortcut, 'importlib.metadata' in sys.modules)\n")


def test_pydantic_builds_validators_without_the_plugin_scan():
    """The CLI's shortcut loader: validators build and validate, and importlib.metadata is never imported."""
    assert _run_py(_VALIDATE, {"PYDANTIC_DISABLE_PLUGINS": None}) == "True False"


def test_a_user_who_asks_for_plugins_gets_pydantics_own_loader():
    assert _run_py(_VALIDATE, {"PYDANTIC_DISABLE_PLUGINS": "some_plugin"}) == "False True"
    code = ("import os\n"
            "from advisor.cli.quickstart import skip_pydantic_plugin_scan, LOADER\n"
            "import sys\n"
            "assert skip_pydantic_plugin_scan()\n"
            "os.environ['PYDANTIC_DISABLE_PLUGINS'] = 'x'  # turned on later: the real loader answers\n"
            "stub = sys.modules[LOADER]\n"
            "print(stub.PYDANTIC_ENTRY_POINT_GROUP, list(stub.get_plugins()))\n")
    assert _run_py(code, {"PYDANTIC_DISABLE_PLUGINS": None}) == "pydantic []"


def _copy_knowledge(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", folder)
    return folder


def _counted_knowledge(tmp_path, monkeypatch):
    """A private cache and knowledge folder, and a build that counts how often it really loads the YAML."""
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ADVISOR_NO_SNAPSHOT", raising=False)
    folder = _copy_knowledge(tmp_path)
    builds: list[int] = []

    def build():
        builds.append(1)
        return load_knowledge_from(folder)

    return folder, build, builds


def test_snapshot_is_used_and_equals_a_fresh_load(tmp_path, monkeypatch):
    folder, build, builds = _counted_knowledge(tmp_path, monkeypatch)
    first = snapshot.cached(build, folder)
    second = snapshot.cached(build, folder)
    assert builds == [1], "the second load must come from the snapshot"
    for field in ("backends", "ggml_types", "formats", "tree", "models", "memory", "engines", "cpu_isa", "workloads"):
        assert getattr(second, field) == getattr(first, field), field
    assert second.energy.model.coef_ == first.energy.model.coef_
    assert second.energy.model.predict(100.0, False, "gpu") == first.energy.model.predict(100.0, False, "gpu")


def test_any_change_to_the_sources_rebuilds(tmp_path, monkeypatch):
    folder, build, builds = _counted_knowledge(tmp_path, monkeypatch)
    before = snapshot.cached(build, folder)
    mem = folder / "memory.yaml"
    mem.write_text(mem.read_text() + "\n# an edit\n")
    os.utime(mem, ns=(mem.stat().st_atime_ns, mem.stat().st_mtime_ns + 1_000_000))
    after = snapshot.cached(build, folder)
    assert builds == [1, 1] and after is not before


def test_a_broken_or_foreign_snapshot_is_ignored(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(cache))
    folder = _copy_knowledge(tmp_path)
    snapshot.cached(lambda: load_knowledge_from(folder), folder)
    snap = cache / "snapshots" / snapshot.NAME
    data = snap.read_bytes()
    snap.write_bytes(data[: len(data) // 2])  # truncated
    assert snapshot.cached(lambda: "rebuilt", folder) == "rebuilt"
    snap.write_bytes(data)
    snap.chmod(0o666)  # others may write it: never unpickled
    assert snapshot.cached(lambda: "rebuilt again", folder) == "rebuilt again"


def test_an_unwritable_cache_folder_is_not_an_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(blocker / "cache"))
    assert snapshot.cached(lambda: 42, tmp_path) == 42


def test_plan_json_is_the_same_with_and_without_the_snapshot(tmp_path):
    argv = [sys.executable, "-m", "advisor", "plan", "-d", "galaxy-s24-ultra", "-m", "llama-3.2-3b-instruct", "--json"]
    outs = []
    for extra in ({"ADVISOR_NO_SNAPSHOT": "1"}, {}, {}):
        env = {**os.environ, "ADVISOR_CACHE_DIR": str(tmp_path / "c"), **extra}
        p = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=env, timeout=HANG_S)
        assert p.returncode == 0, p.stderr
        outs.append(json.loads(p.stdout))
    assert outs[0] == outs[1] == outs[2]
    assert (tmp_path / "c" / "snapshots" / snapshot.NAME).is_file()
    assert (tmp_path / "c" / "snapshots" / "profile-galaxy-s24-ultra").is_file()


def test_help_lists_every_command(cli):
    r = cli("--help")
    assert r.code == 0
    for name in cli_pkg.COMMAND_MODULES:
        assert name in r.out
    assert isinstance(cli_pkg.cli, click.Group)
