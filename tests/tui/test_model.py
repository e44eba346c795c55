"""Model screen: catalogue search, local folders and .gguf paths checked as typed, hub ids, bad input."""

from __future__ import annotations

import json

import pytest
from textual.widgets import DataTable

from advisor.tui.goals import GoalsScreen
from advisor.tui.model import ModelScreen

pytestmark = pytest.mark.asyncio  # every test here drives the app with a Pilot


def message(app) -> str:
    return str(app.screen.query_one("#model-message").render())


def is_error(app) -> bool:
    return app.screen.query_one("#model-message").has_class("error")


async def test_catalogue_search_and_figures(make_app, keys):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_model(pilot)
        await keys.type(pilot, "qwen")
        rows = [str(k.value) for k in app.screen.query_one(DataTable).rows]
        assert rows and all("qwen" in r for r in rows)
        assert "layers" in str(app.screen.query_one("#model-figures").render())


async def test_unknown_path_is_flagged_as_typed(make_app, keys):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_model(pilot)
        await keys.type(pilot, "./no/such/model.gguf")
        assert "not found" in message(app) and is_error(app)
        await pilot.press("enter")
        assert isinstance(app.screen, ModelScreen) and app.model is None


async def test_folder_without_config_and_wrong_file_type(make_app, keys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("x")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_model(pilot)
        await keys.type(pilot, "./empty")
        assert "no config.json" in message(app) and is_error(app)
        await keys.type(pilot, "./notes.txt")
        assert "not a .gguf" in message(app) and is_error(app)
        await pilot.press("enter")
        assert isinstance(app.screen, ModelScreen)


async def test_bad_config_json_is_reported_on_enter(make_app, keys, waiter, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text(json.dumps({"model_type": "llama"}))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_model(pilot)
        await keys.type(pilot, "./m")
        assert not is_error(app)
        await pilot.press("enter")
        await waiter(pilot, lambda: "lacks" in message(app))
        assert is_error(app) and isinstance(app.screen, ModelScreen)


async def test_local_config_folder_is_accepted(make_app, keys, waiter, tmp_path, monkeypatch, library):
    monkeypatch.chdir(tmp_path)
    spec = library.kb.models["llama-3.2-1b-instruct"]
    cfg = {"model_type": "llama", "hidden_size": spec.hidden_size, "intermediate_size": spec.intermediate_size,
           "num_hidden_layers": spec.num_hidden_layers, "num_attention_heads": spec.num_attention_heads,
           "num_key_value_heads": spec.num_key_value_heads, "vocab_size": spec.vocab_size}
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / "config.json").write_text(json.dumps(cfg))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_model(pilot)
        await keys.type(pilot, "./tiny")
        await pilot.press("enter")
        await waiter(pilot, lambda: isinstance(app.screen, GoalsScreen))
        assert app.model.origin == "local" and app.model.id == "tiny"


async def test_hub_id_of_a_catalogue_model_needs_no_network(make_app, keys):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_model(pilot)
        await keys.type(pilot, "meta-llama/Llama-3.2-1B-Instruct")
        await pilot.press("enter")
        await pilot.pause()
        assert app.model.id == "llama-3.2-1b-instruct"


async def test_unreachable_hub_id_is_a_clear_error(make_app, keys, waiter, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import advisor.resolve as resolve

    def offline(repo_id):
        from advisor.errors import InputError

        raise InputError(f"cannot fetch config.json for {repo_id!r} from the Hugging Face Hub; offline?")

    monkeypatch.setattr(resolve, "spec_from_hub", offline)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_model(pilot)
        await keys.type(pilot, "someorg/nomodel")
        assert "Enter fetches" in message(app)
        await pilot.press("enter")
        await waiter(pilot, lambda: "cannot fetch" in message(app))
        assert is_error(app) and isinstance(app.screen, ModelScreen)

