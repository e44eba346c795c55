"""`--emit-scripts DIR --force` replaces only a folder the advisor wrote, never a user's and never the current one
(issue 12, item 1: it used to delete whatever DIR was, the current folder and a thesis included)."""

from __future__ import annotations

from pathlib import Path

ARGV = ["plan", "-d", "raspberry-pi-5-8gb", "-m", "llama-3.2-1b-instruct"]


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def test_force_never_deletes_the_folder_holding_the_current_one(cli, tmp_path, monkeypatch):
    sb = tmp_path / "sb"
    (sb / "inner").mkdir(parents=True)
    (sb / "inner" / "mydata.txt").write_text("keep")
    monkeypatch.chdir(sb / "inner")
    r = cli(*ARGV, "--emit-scripts", str(sb), "--force")
    assert r.code == 2, r.err
    assert "current folder" in r.err and r.err.count("\n") == 1
    assert tree(sb) == {"inner/mydata.txt": "keep"} and Path.cwd() == (sb / "inner").resolve()


def test_force_refuses_a_folder_the_advisor_did_not_write(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    thesis = tmp_path / "thesis"
    (thesis / "chapters").mkdir(parents=True)
    (thesis / "chapters" / "one.tex").write_text("years of work")
    r = cli(*ARGV, "--emit-scripts", str(thesis), "--force")
    assert r.code == 2 and "marker" in r.err and "nothing was changed" in r.err, r.err
    assert tree(thesis) == {"chapters/one.tex": "years of work"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis"]  # no temp folders beside it


def test_force_refuses_an_advisor_folder_holding_a_users_file(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    assert cli(*ARGV, "--emit-scripts", str(out)).code == 0
    first = next(p for p in out.iterdir() if p.is_dir())
    (first / "out").mkdir()
    (first / "out" / "model-Q4_K_M.gguf").write_text("hours of conversion")
    before = tree(out)
    r = cli(*ARGV, "--emit-scripts", str(out), "--force")
    assert r.code == 2 and f"{first.name}/out/model-Q4_K_M.gguf" in r.err, r.err
    assert tree(out) == before


def test_a_forged_or_broken_marker_is_no_licence(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    for marker in ("{not json", '{"files": "notes.txt"}', '{"files": []}'):
        (out / ".advisor-scripts.json").write_text(marker)
        r = cli(*ARGV, "--emit-scripts", str(out), "--force")
        assert r.code == 2, (marker, r.err)
        assert (out / "notes.txt").read_text() == "mine"


def test_force_replaces_its_own_folder_even_after_python_ran_there(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    assert cli(*ARGV, "--emit-scripts", str(out)).code == 0
    first = next(p for p in out.iterdir() if p.is_dir())
    (first / "__pycache__").mkdir()
    (first / "__pycache__" / "report.cpython-311.pyc").write_bytes(b"\0")
    r = cli(*ARGV, "--emit-scripts", str(out), "--force")
    assert r.code == 0, r.err
    assert not (first / "__pycache__").exists() and (out / "README.md").exists()


def test_an_empty_current_folder_is_not_replaced(cli, tmp_path, monkeypatch):
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    r = cli(*ARGV, "--emit-scripts", ".")
    assert r.code == 2 and "current folder" in r.err, r.err
    assert here.is_dir() and list(here.iterdir()) == []


def test_a_name_too_long_is_bad_input(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = cli(*ARGV, "--emit-scripts", str(tmp_path / ("x" * 300)))
    assert r.code == 2 and r.err.count("\n") == 1, r.err
    assert list(tmp_path.iterdir()) == []
