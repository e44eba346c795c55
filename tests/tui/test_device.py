"""Device screen: fuzzy search, key figures, this machine, profile files, and bad input."""

from __future__ import annotations

import shutil

import pytest
from textual.widgets import DataTable

from advisor import paths
from advisor.tui.device import DeviceScreen
from advisor.tui.model import ModelScreen

pytestmark = pytest.mark.asyncio  # every test here drives the app with a Pilot


def message(app) -> str:
    return str(app.screen.query_one("#device-message").render())


async def test_search_filters_by_name_class_and_vendor(make_app, keys):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one(DataTable)
        assert table.row_count == len(app.library.profiles)
        await keys.type(pilot, "jetson")
        ids = [str(k.value) for k in table.rows]
        assert {i for i in ids[:4]} == {p for p in app.library.profiles if p.startswith("jetson")}  # best first
        await keys.type(pilot, "arm_sbc")
        sbc = [p for p in app.library.profiles.values() if p.class_ == "arm_sbc"]
        top = [app.library.profiles[str(k.value)].class_ for k in table.rows][:len(sbc)]
        assert top == ["arm_sbc"] * len(sbc)  # exact class matches rank first
        await keys.type(pilot, "qualcomm")
        assert "galaxy-s24-ultra" in [str(k.value) for k in table.rows]
        figures = str(app.screen.query_one("#device-figures").render())
        assert "bandwidth" in figures and "GB/s" in figures


async def test_arrows_move_the_highlight_and_the_figures_follow(make_app, keys):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.type(pilot, "raspberry pi 5")
        first = app.screen._highlighted()
        await pilot.press("down")
        second = app.screen._highlighted()
        assert first.id != second.id
        assert second.name in str(app.screen.query_one("#device-figures").render())
        await pilot.press("enter")
        await pilot.pause()
        assert app.device.id == second.id


async def test_mouse_click_chooses_a_row(make_app, keys):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.type(pilot, "pi 5 8gb")
        await pilot.click("#device-table", offset=(3, 1))   # the highlighted first row, under the header
        await pilot.pause()
        assert isinstance(app.screen, ModelScreen) and app.device.id == "raspberry-pi-5-8gb"


async def test_f2_detects_this_machine(make_app, this_machine, waiter):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await waiter(pilot, lambda: isinstance(app.screen, ModelScreen))
        assert app.device == this_machine


async def test_no_match_is_an_error_and_enter_stays(make_app, keys):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.type(pilot, "zzqqxx")
        assert "no profile matches 'zzqqxx'" in message(app)
        await pilot.press("enter")
        assert isinstance(app.screen, DeviceScreen) and app.device is None


async def test_unknown_profile_path_says_so(make_app, keys, waiter):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.type(pilot, "./nowhere/board.yaml")
        await pilot.press("enter")
        await waiter(pilot, lambda: "not found" in message(app))
        assert isinstance(app.screen, DeviceScreen)
        assert app.screen.query_one("#device-message").has_class("error")


async def test_invalid_profile_file_names_the_key(make_app, keys, waiter, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text("id: bad\nname: Bad\nclass: toaster\n")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.type(pilot, "bad.yaml")
        await pilot.press("enter")
        await waiter(pilot, lambda: "bad.yaml" in message(app) and "loading" not in message(app))
        assert isinstance(app.screen, DeviceScreen) and "class" in message(app)


async def test_profile_file_loads(make_app, keys, waiter, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(paths.PROFILES_DIR / "raspberry-pi-5-8gb.yaml", tmp_path / "board.yaml")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.type(pilot, "board.yaml")
        await pilot.press("enter")
        await waiter(pilot, lambda: isinstance(app.screen, ModelScreen))
        assert app.device.id == "raspberry-pi-5-8gb"
