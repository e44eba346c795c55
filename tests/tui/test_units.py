"""The screens' small pure helpers: input classification, field validation, fuzzy filter, path checks."""

from __future__ import annotations

from advisor.tui.goals import SchemaField
from advisor.tui.model import check_source
from advisor.tui.prompt import file_target, folder_target
from advisor.tui.search import fuzzy_filter


def test_check_source_kinds(tmp_path):
    assert check_source("llama") == ("search", None)
    assert check_source("org/name") == ("hub", None)
    assert check_source(str(tmp_path / "x.gguf"))[1].endswith("not found; check the path")
    assert check_source(str(tmp_path)) == ("path", f"{tmp_path} has no config.json; give a Hugging Face model folder")
    (tmp_path / "config.json").write_text("{}")
    assert check_source(str(tmp_path)) == ("path", None)


def test_schema_field_uses_the_constraints_schema():
    mem, ctx = SchemaField("max_memory_gb", float), SchemaField("context", int)
    assert mem.validate("").is_valid and mem.validate("2.5").is_valid
    assert mem.validate("0").failure_descriptions == ["must be greater than 0"]
    assert mem.validate("-3").failure_descriptions == ["must be greater than 0"]
    assert mem.validate("lots").failure_descriptions == ["must be a number, not 'lots'"]
    assert ctx.validate("4k").failure_descriptions == ["must be a whole number, not '4k'"]
    assert ctx.validate("8192").is_valid and ctx.parse("8192") == 8192 and mem.parse(" ") is None


def test_fuzzy_filter_ranks_and_keeps_all_when_blank():
    words = ["raspberry-pi-5-8gb", "apple-m2-16gb", "jetson-orin-nano-8gb"]
    assert fuzzy_filter(words, "", str, str) == sorted(words)
    assert fuzzy_filter(words, "pi 5", str, str)[0] == "raspberry-pi-5-8gb"
    assert fuzzy_filter(words, "zzz", str, str) == []


def test_path_checks(tmp_path):
    (tmp_path / "f").write_text("x")
    assert file_target(tmp_path) and "folder" in file_target(tmp_path)
    assert file_target(tmp_path / "f" / "plan.md") == f"{tmp_path / 'f'} is a file, not a folder"
    assert file_target(tmp_path / "new" / "plan.md") is None
    assert folder_target(tmp_path / "f") == f"{tmp_path / 'f'} is a file; give a folder"
    assert folder_target(tmp_path / "out") is None
