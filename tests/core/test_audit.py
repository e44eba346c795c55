"""`knowledge validate` rejects a number without a source; `knowledge audit` lists every number and its source."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import yaml

from advisor import audit, paths
from guards import HANG_S


def _copy_home(tmp_path):
    for d in ("knowledge", "profiles", "docs"):
        shutil.copytree(paths.ROOT / d, tmp_path / d, ignore=shutil.ignore_patterns("screenshots", "data"))
    return tmp_path


def _validate(home):
    env = {**os.environ, "ADVISOR_HOME": str(home), "PYTHONPATH": str(paths.PACKAGE_DIR.parent)}
    return subprocess.run([sys.executable, "-m", "advisor", "knowledge", "validate"], capture_output=True, text=True,
                          env=env, timeout=HANG_S)


def test_validate_rejects_an_unsourced_number(tmp_path):
    home = _copy_home(tmp_path)
    assert _validate(home).returncode == 0
    f = home / "knowledge" / "memory.yaml"
    d = yaml.safe_load(f.read_text())
    d["classes"]["raspberry"] = {"fraction": 0.8, "reserve_gib": 0.5, "source": "my estimate"}
    f.write_text(yaml.safe_dump(d))
    r = _validate(home)
    assert r.returncode == 2
    assert "classes.raspberry.fraction = 0.8" in r.stderr and "docs/policy.md" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_validate_rejects_a_policy_reference_to_a_missing_section(tmp_path):
    home = _copy_home(tmp_path)
    f = home / "knowledge" / "memory.yaml"
    f.write_text(f.read_text().replace("docs/policy.md#snapdragon-memory-share", "docs/policy.md#no-such-section"))
    r = _validate(home)
    assert r.returncode == 2 and "classes.snapdragon.fraction" in r.stderr


def test_audit_lists_every_number_with_its_source(cli):
    r = cli("knowledge", "audit", "--json")
    assert r.code == 0, r.err
    rows = r.json()
    assert rows and all(row["ok"] for row in rows)
    by_path = {(row["file"], row["path"]): row for row in rows}
    apple = by_path[("knowledge/memory.yaml", "classes.apple_silicon.tiers[0].fraction")]
    assert apple["value"] == 0.666667 and "10922.67" in apple["source"]
    unc = by_path[("knowledge/quant_formats.yaml", "formats[qnn/w8a8].quality_uncertainty")]
    assert unc["source"] == "docs/policy.md#quality-uncertainty"
    assert by_path[("knowledge/quant_formats.yaml", "formats[qnn/w4a16].group_size")]["source"].startswith("docs/policy.md#")
    assert any(f.startswith("profiles/") for f, _ in by_path)


def test_every_policy_section_referenced_exists():
    facts = audit.audit(paths.KNOWLEDGE_DIR, paths.PROFILES_DIR, paths.ROOT / "docs")
    used = {a for f in facts for a in audit._DOC_REF.findall(f.source or "")}
    sections = audit._anchors(paths.ROOT / "docs" / "policy.md")
    assert {a for doc, a in used if doc == "policy.md"} <= sections
